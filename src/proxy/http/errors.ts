// Errors the proxy answers itself. Each has a stable code (for alerts and scripts), an HTTP
// status, and a sentence a person can act on. Every local response carries the code in the
// `x-maille-error` header so nobody mistakes it for the application's answer.
export type ProxyErrorCode =
  | 'MAILLE_ERR_NO_ROUTE'
  | 'MAILLE_ERR_NO_CLUSTER'
  | 'MAILLE_ERR_NO_HEALTHY_UPSTREAM'
  | 'MAILLE_ERR_UPSTREAM_CONNECT'
  | 'MAILLE_ERR_UPSTREAM_RESET'
  | 'MAILLE_ERR_UPSTREAM_TIMEOUT'
  | 'MAILLE_ERR_UPSTREAM_PROTOCOL'
  | 'MAILLE_ERR_BREAKER_OPEN'
  | 'MAILLE_ERR_FAULT_ABORT'
  | 'MAILLE_ERR_BAD_REQUEST'
  | 'MAILLE_ERR_HEADERS_TOO_LARGE'
  | 'MAILLE_ERR_REQUEST_TIMEOUT'
  | 'MAILLE_ERR_DRAINING'
  | 'MAILLE_ERR_NOT_IMPLEMENTED';

export const ERROR_HEADER = 'x-maille-error';

export class ProxyError extends Error {
  constructor(
    readonly code: ProxyErrorCode,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** gRPC status for a proxy error, so gRPC callers get a status their library understands. */
export function grpcStatusFor(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 13; // INTERNAL: the request could not be understood
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED: no route for the method
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 502:
    case 503:
      return 14; // UNAVAILABLE
    case 504:
      return 4; // DEADLINE_EXCEEDED
    default:
      return 2; // UNKNOWN
  }
}
