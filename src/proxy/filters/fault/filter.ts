// Fault injection (Istio's HTTPFaultInjection): delay and/or abort a share of a route's
// requests, to test how callers cope. The delay comes first, then the abort, as in Envoy.
import type { Fault } from '../../../model/snapshot.js';
import { ProxyError } from '../../http/errors.js';
import { HeaderList } from '../../http/headers.js';
import { ERROR_HEADER } from '../../http/errors.js';
import { grpcMessage, sendError } from '../../app/local-reply.js';
import type { HttpFilter } from '../types.js';

/** Injectable randomness so tests can pin the outcome; values in [0, 100). */
export type PercentRoll = () => number;

export function createFaultFilter(roll: PercentRoll = () => Math.random() * 100): HttpFilter {
  return {
    name: 'fault',
    onRequest(req, res, route, next) {
      const fault: Fault | undefined = route.fault;
      if (!fault) return next();
      const abort = fault.abort && roll() < fault.abort.percent ? fault.abort : undefined;
      const delayMs = fault.delay && roll() < fault.delay.percent ? fault.delay.fixedMs : 0;
      const act = (): void => {
        if (!abort) return next();
        if (abort.grpcStatus !== undefined && (req.grpc || abort.httpStatus === undefined)) {
          const headers = new HeaderList();
          headers.add(ERROR_HEADER, 'MAILLE_ERR_FAULT_ABORT');
          headers.add('content-type', 'application/grpc');
          headers.add('grpc-status', String(abort.grpcStatus));
          headers.add('grpc-message', grpcMessage(`fault injected by route ${route.name}`));
          res.writeHead({ status: 200, headers, encoding: undefined, length: undefined });
          res.body.end();
          return;
        }
        sendError(req, res, new ProxyError('MAILLE_ERR_FAULT_ABORT', abort.httpStatus ?? 503, `fault injected by route ${route.name} (abort ${abort.percent}%)`));
      };
      if (delayMs > 0) {
        const timer = setTimeout(act, delayMs);
        res.onDownstreamClose = () => clearTimeout(timer);
      } else {
        act();
      }
    },
  };
}
