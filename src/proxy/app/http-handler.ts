// The HTTP request path of a listener, protocol-neutral:
//   route → filters (fault, later authz/JWT) → direct | redirect | forward (+ mirrors).
// Each step is one call; the details live in router/, filters/ and forward.ts.
import type { DownstreamRequest, DownstreamResponse } from '../http/exchange.js';
import { ProxyError } from '../http/errors.js';
import { HeaderList } from '../http/headers.js';
import { runFilters } from '../filters/types.js';
import type { CompiledRoute, RouteInput } from '../router/types.js';
import { sendBody, sendError } from './local-reply.js';
import { Forwarding } from './forward.js';
import { startMirrors } from './mirror.js';
import { prepareHeaders, type OutgoingRequest } from './upstream-request.js';
import type { ProxyState } from './state.js';

export type HttpHandler = (req: DownstreamRequest, res: DownstreamResponse) => void;

/** `routeConfig`: the name of the listener's route table, looked up in the live state. */
export function createHttpHandler(state: () => ProxyState, routeConfig: string | undefined): HttpHandler {
  return (req, res) => {
    const s = state();
    const table = routeConfig === undefined ? undefined : s.routeTables.get(routeConfig);
    const input: RouteInput = req; // the request has the fields routing reads: no copy per request
    const route = table?.match(input);
    if (!route) {
      return sendError(
        req,
        res,
        new ProxyError('MAILLE_ERR_NO_ROUTE', 404, `no route for ${req.method} ${req.authority}${req.path} in route table ${routeConfig ?? '(none)'}`),
      );
    }
    runFilters(s.filters, req, res, route, () => dispatch(s, req, res, route, input));
  };
}

function dispatch(s: ProxyState, req: DownstreamRequest, res: DownstreamResponse, route: CompiledRoute, input: RouteInput): void {
  if (route.kind === 'direct') {
    const d = route.direct!;
    const headers = HeaderList.fromRecord(d.headers ?? {});
    route.responseHeaders?.apply(headers);
    return sendBody(res, d.status, headers, d.body ?? '');
  }
  if (route.kind === 'redirect') {
    const headers = new HeaderList();
    headers.add('location', route.redirectLocation(input, req.scheme));
    route.responseHeaders?.apply(headers);
    return sendBody(res, route.redirect!.status ?? 301, headers, '');
  }
  const dest = route.pickDestination();
  const cluster = s.clusters.get(dest.cluster);
  if (!cluster) {
    return sendError(req, res, new ProxyError('MAILLE_ERR_NO_CLUSTER', 503, `route ${route.name} points to cluster ${dest.cluster}, which is not in the configuration`));
  }
  const target = route.hasRewrite ? route.rewrite(input) : input;
  route.requestHeaders?.apply(req.headers);
  dest.requestHeaders?.apply(req.headers);
  const out: OutgoingRequest = {
    method: req.method,
    path: target.path,
    authority: target.authority,
    headers: prepareHeaders(req),
    body: req.body ? { encoding: req.body.encoding, length: req.body.length } : undefined,
    upgrade: req.upgrade,
  };
  const fwd = new Forwarding(req, res, route, dest, cluster, out, s.routeMetrics(route, dest));
  res.onDownstreamClose = () => fwd.cancel();
  if (route.mirrors.length > 0) startMirrors(route, out, fwd.replayBody, s.clusters);
  fwd.start();
}
