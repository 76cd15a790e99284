// How a try's outcome reads as an HTTP status, for outlier detection.
//
// Envoy (with split_external_local_origin_errors off, its default and what Istio uses) maps
// failures the proxy saw itself to the status it would answer with: a connection failure or a
// reset to 503, a timeout to 504. So they count as both 5xx and gateway errors. A gRPC response
// carries its real outcome in grpc-status (the HTTP status is 200), so it is mapped to HTTP the
// way gRPC's own table does (UNAVAILABLE → 503, DEADLINE_EXCEEDED → 504, INTERNAL → 500…), as
// Envoy's router does before reporting to the outlier detector.
import type { TryOutcome } from './types.js';

export function outcomeHttpStatus(outcome: TryOutcome): number {
  switch (outcome.kind) {
    case 'response':
      return outcome.grpcStatus !== undefined ? grpcToHttpStatus(outcome.grpcStatus) : outcome.status;
    case 'timeout':
      return 504;
    case 'connect-failure':
    case 'reset':
    case 'refused-stream':
      return 503;
  }
}

/** gRPC status → HTTP status, per gRPC's http-grpc-status-mapping and Envoy's grpcToHttpStatus. */
export function grpcToHttpStatus(grpcStatus: number): number {
  switch (grpcStatus) {
    case 0: // OK
      return 200;
    case 1: // CANCELLED: the client went away (nginx's 499)
      return 499;
    case 3: // INVALID_ARGUMENT
    case 9: // FAILED_PRECONDITION
    case 11: // OUT_OF_RANGE
      return 400;
    case 4: // DEADLINE_EXCEEDED
      return 504;
    case 5: // NOT_FOUND
      return 404;
    case 6: // ALREADY_EXISTS
    case 10: // ABORTED
      return 409;
    case 7: // PERMISSION_DENIED
      return 403;
    case 8: // RESOURCE_EXHAUSTED
      return 429;
    case 12: // UNIMPLEMENTED
      return 501;
    case 14: // UNAVAILABLE
      return 503;
    case 16: // UNAUTHENTICATED
      return 401;
    default: // UNKNOWN (2), INTERNAL (13), DATA_LOSS (15), anything else
      return 500;
  }
}

export function isGatewayErrorStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}
