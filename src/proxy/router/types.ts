// The router's contract: a route table compiled once per snapshot, matched per request.
// Compilation does all the work (regexes built, domains indexed, weights summed) so that `match`
// only compares strings.
import type { HeaderList } from '../http/headers.js';
import type { Fault, HashPolicy, Mirror, RetryPolicy, RedirectAction, DirectResponse } from '../../model/snapshot.js';

/** What the router looks at in a request. */
export interface RouteInput {
  /** Host header / :authority as received (any case, maybe with port or trailing dot). */
  authority: string;
  /** Path with query string, as on the request line (origin-form). */
  path: string;
  /** Upper-case method. */
  method: string;
  headers: HeaderList;
}

/** A header mutation compiled into arrays; apply() edits in place. */
export interface CompiledHeaderMutation {
  apply(headers: HeaderList): void;
}

export interface CompiledDestination {
  cluster: string;
  subset: string | undefined;
  weight: number;
  requestHeaders: CompiledHeaderMutation | undefined;
  responseHeaders: CompiledHeaderMutation | undefined;
}

export interface CompiledRoute {
  /** Route name for telemetry and error messages (generated when the snapshot names none). */
  name: string;
  virtualHost: string;
  kind: 'forward' | 'redirect' | 'direct';
  /** forward: picks one destination by weight; `rand` in [0,1) (injectable for tests). */
  pickDestination(rand?: number): CompiledDestination;
  destinations: CompiledDestination[];
  timeoutMs: number; // 0 = none
  retry: RetryPolicy | undefined;
  mirrors: Mirror[];
  fault: Fault | undefined;
  hashPolicy: HashPolicy | undefined;
  redirect: RedirectAction | undefined;
  direct: DirectResponse | undefined;
  requestHeaders: CompiledHeaderMutation | undefined;
  responseHeaders: CompiledHeaderMutation | undefined;
  /**
   * Whether the route rewrites path or authority; when false, `rewrite` is the identity and the
   * caller can skip it (and the small object it returns) on the request path.
   */
  hasRewrite: boolean;
  /**
   * Rewrites path/authority of a forwarded request per the route's `rewrite`; returns the new
   * path (with query kept) and authority. Identity when the route has no rewrite.
   */
  rewrite(input: RouteInput): { path: string; authority: string };
  /** For redirect routes: the Location value for this request. */
  redirectLocation(input: RouteInput, scheme: string): string;
}

export interface CompiledRouteTable {
  name: string;
  /** First matching route of the virtual host chosen by authority, or undefined (→ 404). */
  match(input: RouteInput): CompiledRoute | undefined;
}
