// The HTTP filter chain: small, self-contained steps that run on a request after routing and
// before it is forwarded (fault injection now; authorization, JWT, rate limiting slot in here).
//
// A filter either calls `next()` (maybe later, e.g. after a delay) or answers the request itself
// and does not. Filters are built once per snapshot; `onRequest` is the per-request function.
import type { DownstreamRequest, DownstreamResponse } from '../http/exchange.js';
import type { CompiledRoute } from '../router/types.js';

export interface HttpFilter {
  readonly name: string;
  onRequest(req: DownstreamRequest, res: DownstreamResponse, route: CompiledRoute, next: () => void): void;
}

/** Runs filters in order, then `last`. Allocates one closure per filter that continues. */
export function runFilters(
  filters: readonly HttpFilter[],
  req: DownstreamRequest,
  res: DownstreamResponse,
  route: CompiledRoute,
  last: () => void,
): void {
  let i = 0;
  const next = (): void => {
    if (i < filters.length) filters[i++].onRequest(req, res, route, next);
    else last();
  };
  next();
}
