// A compiled route: what to do once a request matched. Behaviour lives in prototype methods of
// one class (no closures per route or per request); everything they read is prepared by
// compileRoute below.
import type { Fault, HashPolicy, Mirror, RedirectAction, DirectResponse, RetryPolicy, Route } from '../../model/snapshot.js';
import type { CompiledDestination, CompiledHeaderMutation, CompiledRoute, RouteInput } from './types.js';
import { DestinationPicker, compileDestinations } from './destinations.js';
import { compileHeaderMutation } from './header-mutation.js';
import { RedirectBuilder } from './redirect.js';
import { replacePath } from './path-replace.js';
import { FieldError } from './errors.js';

interface Rewrite {
  path: string | undefined;
  pathPrefix: string | undefined;
  authority: string | undefined;
}

export class CompiledRouteImpl implements CompiledRoute {
  readonly name: string;
  readonly virtualHost: string;
  readonly kind: 'forward' | 'redirect' | 'direct';
  readonly destinations: CompiledDestination[];
  readonly timeoutMs: number;
  readonly retry: RetryPolicy | undefined;
  readonly mirrors: Mirror[];
  readonly fault: Fault | undefined;
  readonly hashPolicy: HashPolicy | undefined;
  readonly redirect: RedirectAction | undefined;
  readonly direct: DirectResponse | undefined;
  readonly requestHeaders: CompiledHeaderMutation | undefined;
  readonly responseHeaders: CompiledHeaderMutation | undefined;
  readonly hasRewrite: boolean;
  private readonly picker: DestinationPicker | undefined;
  private readonly rewriteSpec: Rewrite | undefined;
  private readonly redirectBuilder: RedirectBuilder | undefined;
  /** Length of the matched path prefix when the route matches by prefix, else -1. */
  private readonly prefixLen: number;

  constructor(route: Route, name: string, virtualHost: string, prefixLen: number, where: string) {
    this.name = name;
    this.virtualHost = virtualHost;
    this.prefixLen = prefixLen;
    const actions = (route.forward ? 1 : 0) + (route.redirect ? 1 : 0) + (route.direct ? 1 : 0);
    if (actions !== 1) throw new FieldError(where, `a route needs exactly one of forward, redirect, direct (found ${actions})`);
    const fwd = route.forward;
    this.kind = fwd ? 'forward' : route.redirect ? 'redirect' : 'direct';
    this.destinations = fwd ? compileDestinations(fwd.destinations, `${where}.forward.destinations`) : [];
    if (fwd && this.destinations.length === 0) throw new FieldError(`${where}.forward.destinations`, 'needs at least one destination');
    this.picker = fwd ? new DestinationPicker(this.destinations) : undefined;
    this.timeoutMs = fwd?.timeoutMs ?? 0;
    this.retry = fwd?.retry;
    this.mirrors = fwd?.mirrors ?? [];
    this.fault = route.fault;
    // Hashing is configured on the cluster (its load balancer); the field is kept so a route-level
    // policy can be added without changing the contract.
    this.hashPolicy = undefined;
    this.redirect = route.redirect;
    this.direct = route.direct;
    this.requestHeaders = compileHeaderMutation(route.requestHeaders, `${where}.requestHeaders`);
    this.responseHeaders = compileHeaderMutation(route.responseHeaders, `${where}.responseHeaders`);
    const rw = fwd?.rewrite;
    this.hasRewrite = rw !== undefined && (rw.path !== undefined || rw.pathPrefix !== undefined || rw.authority !== undefined);
    this.rewriteSpec = this.hasRewrite ? { path: rw?.path, pathPrefix: rw?.pathPrefix, authority: rw?.authority } : undefined;
    this.redirectBuilder = route.redirect ? new RedirectBuilder(route.redirect, prefixLen) : undefined;
  }

  pickDestination(rand: number = Math.random()): CompiledDestination {
    if (this.picker === undefined) throw new Error(`route "${this.name}" is a ${this.kind} route and has no destinations`);
    return this.picker.pick(rand);
  }

  rewrite(input: RouteInput): { path: string; authority: string } {
    const rw = this.rewriteSpec;
    if (rw === undefined) return { path: input.path, authority: input.authority };
    return {
      path: replacePath(input.path, rw.path, rw.pathPrefix, this.prefixLen),
      authority: rw.authority ?? input.authority,
    };
  }

  redirectLocation(input: RouteInput, scheme: string): string {
    if (this.redirectBuilder === undefined) throw new Error(`route "${this.name}" is a ${this.kind} route, not a redirect`);
    return this.redirectBuilder.location(input, scheme);
  }
}
