// Forwards one request to a cluster: picks an endpoint, sends a try, and decides from how the try
// ended whether to answer, retry, or fail — with the route timeout, per-try timeout, breakers,
// retry budget and outlier detection each having their say.
//
// One Forwarding object lives per request; nothing here is shared between requests except the
// cluster's counters.
import type { Socket } from 'node:net';
import type { CompiledDestination, CompiledRoute } from '../router/types.js';
import type { HeaderList } from '../http/headers.js';
import type { DownstreamRequest, DownstreamResponse } from '../http/exchange.js';
import { ProxyError } from '../http/errors.js';
import type { RouteMetrics } from '../telemetry/proxy-metrics.js';
import type { EndpointState, TryOutcome } from '../upstream/types.js';
import { isRetriable, backoffMs } from '../upstream/retry.js';
import { hashKeyFor } from '../upstream/hash-key.js';
import { sendError } from './local-reply.js';
import { DEFAULT_REPLAY_LIMIT, ReplayableBody } from './replay-body.js';
import type { UpstreamCluster } from './upstream-cluster.js';
import { sendTry, type TryControl, type TryHandler } from './upstream-send.js';
import type { OutgoingRequest } from './upstream-request.js';
import { isHopByHop } from '../transport/http1/framing.js';

const DEFAULT_BACKOFF_BASE_MS = 25;

export class Forwarding {
  private readonly started = Date.now();
  private tries = 0;
  private retriesInFlight = 0;
  private staleRetried = false;
  private current: TryControl | undefined;
  private currentEp: EndpointState | undefined;
  private routeTimer: NodeJS.Timeout | undefined;
  private tryTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private finished = false;
  private readonly body: ReplayableBody | undefined;
  private readonly hashKey: string | undefined;
  private holdsRequestSlot = false;
  /** The endpoint of the last try: the next one goes elsewhere when it can (as Istio does). */
  private previousEp: EndpointState | undefined;

  constructor(
    private readonly req: DownstreamRequest,
    private readonly res: DownstreamResponse,
    private readonly route: CompiledRoute,
    private readonly dest: CompiledDestination,
    private readonly cluster: UpstreamCluster,
    private readonly out: OutgoingRequest,
    private readonly metrics: RouteMetrics,
  ) {
    this.body = req.body ? new ReplayableBody(req.body, DEFAULT_REPLAY_LIMIT) : undefined;
    const hp = cluster.hashPolicy;
    this.hashKey = hp ? hashKeyFor(hp, { headers: req.headers, path: req.path, remoteAddress: req.conn.remoteAddress }) : undefined;
  }

  /** The request body, for mirrors (which copy it once it is complete). */
  get replayBody(): ReplayableBody | undefined {
    return this.body;
  }

  start(): void {
    this.cluster.depositRequest();
    if (this.route.timeoutMs > 0) {
      this.routeTimer = setTimeout(routeTimeout, this.route.timeoutMs, this);
    }
    this.attempt();
  }

  /** The client went away: stop everything upstream. */
  cancel(): void {
    if (this.finished) return;
    this.current?.abandon();
    this.finish(0);
  }

  private attempt(): void {
    const c = this.cluster;
    if (!c.acquireRequest()) {
      c.metrics.breakerTrip('requests');
      return this.fail(
        new ProxyError('MAILLE_ERR_BREAKER_OPEN', 503, `circuit breaker open: cluster ${c.name} has ${c.limits.maxRequests} requests in flight (connectionPool maxRequests)`),
      );
    }
    this.holdsRequestSlot = true;
    const ep = c.pick(this.dest.subset, this.hashKey, this.previousEp);
    if (!ep) {
      return this.fail(
        new ProxyError(
          'MAILLE_ERR_NO_HEALTHY_UPSTREAM',
          503,
          `no healthy endpoint in cluster ${c.name}${this.dest.subset ? ` subset ${this.dest.subset}` : ''}: ${c.describeUnavailable(this.dest.subset)}`,
        ),
      );
    }
    this.tries++;
    this.currentEp = ep;
    ep.active++;
    const perTry = this.route.retry?.perTryTimeoutMs ?? 0;
    if (perTry > 0) this.tryTimer = setTimeout(tryTimeout, perTry, this);
    // A try can end synchronously (pending queue full): keep its control only if still current.
    const control = sendTry(c, ep, this.out, this.body?.forTry(), this.tryHandler(ep));
    if (this.currentEp === ep && !this.finished) this.current = control;
  }

  private tryHandler(ep: EndpointState): TryHandler {
    return new TryEvents(this, ep);
  }

  // ----- Callbacks of the current try (TryEvents forwards them only while its try is current).

  /** Whether `ep`'s try is the one in flight (a late callback from an abandoned try is not). */
  isCurrentTry(ep: EndpointState): boolean {
    return this.currentEp === ep && !this.finished;
  }

  onNoConnection(reason: 'connect-failure' | 'pending-overflow', message: string): void {
    if (reason === 'pending-overflow') {
      this.endTry();
      this.cluster.metrics.breakerTrip('pending');
      return this.fail(new ProxyError('MAILLE_ERR_BREAKER_OPEN', 503, `circuit breaker open: cluster ${this.cluster.name}: ${message}`));
    }
    this.tryFailed({ kind: 'connect-failure' }, new ProxyError('MAILLE_ERR_UPSTREAM_CONNECT', 503, `${message} (cluster ${this.cluster.name})`), false);
  }

  onInterim(status: number, headers: HeaderList): void {
    this.res.writeInterim(status, headers);
  }

  onHead(ep: EndpointState, status: number, headers: HeaderList, encoding: 'plain' | 'chunked-wire' | undefined, length: number | undefined): void {
    const outcome: TryOutcome = { kind: 'response', status, grpcStatus: grpcStatusOf(headers) };
    if (this.shouldRetry(outcome)) {
      this.current?.abandon();
      this.endTry();
      return this.retry();
    }
    this.clearTryTimer();
    this.cluster.record(ep, outcome);
    this.writeResponseHead(status, headers, encoding, length);
    if (encoding === undefined) this.complete(status);
  }

  onUpgrade(ep: EndpointState, raw: Buffer, socket: Socket): void {
    this.clearTryTimer();
    this.cluster.record(ep, { kind: 'response', status: 101 });
    if (!this.res.tunnel) {
      socket.destroy();
      return this.fail(new ProxyError('MAILLE_ERR_UPSTREAM_PROTOCOL', 502, 'upstream switched protocols on a connection that cannot tunnel'));
    }
    this.res.tunnel(socket, raw);
    this.complete(101);
  }

  onData(chunk: Buffer): boolean {
    const ok = this.res.body.data(chunk);
    if (!ok) {
      this.current?.pause();
      this.res.body.onDrain((this.resumeTry ??= () => this.current?.resume()));
    }
    return true; // pausing is done above, through the control
  }

  /** Made on the first backpressure only: most requests never need it. */
  private resumeTry: (() => void) | undefined;

  onEnd(trailers: HeaderList | undefined): void {
    this.res.body.end(trailers);
    this.complete(this.statusSent);
  }

  onFail(ep: EndpointState, kind: 'reset' | 'protocol' | 'refused-stream', message: string, started: boolean, reused: boolean): void {
    if (started) {
      // Part of the response is already with the client: nothing to do but cut it.
      this.cluster.record(ep, { kind: 'reset' });
      this.endTry();
      this.res.reset();
      return this.finish(this.statusSent);
    }
    const unprocessed = (kind === 'reset' && reused) || kind === 'refused-stream';
    if (unprocessed && !this.staleRetried && this.bodyReplayable()) {
      // A kept-alive connection the server had just closed, or an HTTP/2 stream it refused:
      // the request was not processed and it is not the endpoint's fault. Resend once.
      this.staleRetried = true;
      this.current = undefined;
      this.endTry();
      return this.attempt();
    }
    const outcome: TryOutcome = kind === 'refused-stream' ? { kind: 'refused-stream' } : { kind: 'reset' };
    const code = kind === 'protocol' ? 'MAILLE_ERR_UPSTREAM_PROTOCOL' : 'MAILLE_ERR_UPSTREAM_RESET';
    this.tryFailed(outcome, new ProxyError(code, 502, `upstream ${ep.key} of cluster ${this.cluster.name}: ${message} before a response`), true);
  }

  private statusSent = 0;

  private writeResponseHead(status: number, headers: HeaderList, encoding: 'plain' | 'chunked-wire' | undefined, length: number | undefined): void {
    const { names, values } = headers;
    // Bodyless responses keep content-length (a HEAD answer's length is information).
    const keepLength = encoding === undefined;
    // Compacted in place: splice would allocate an array per removed field.
    let kept = 0;
    for (let i = 0; i < names.length; i++) {
      const n = names[i];
      if (isHopByHop(n, undefined) && !(keepLength && n === 'content-length')) continue;
      if (kept !== i) {
        names[kept] = n;
        values[kept] = values[i];
      }
      kept++;
    }
    names.length = kept;
    values.length = kept;
    this.dest.responseHeaders?.apply(headers);
    this.route.responseHeaders?.apply(headers);
    this.statusSent = status;
    this.res.writeHead({ status, headers, encoding, length });
  }

  private bodyReplayable(): boolean {
    return this.body === undefined || this.body.replayable;
  }

  private shouldRetry(outcome: TryOutcome): boolean {
    const policy = this.route.retry;
    if (!policy || this.tries > policy.attempts) return false;
    if (!isRetriable(policy, outcome)) return false;
    return this.bodyReplayable();
  }

  /** A try ended without a usable response: record, then retry or answer with the error. */
  private tryFailed(outcome: TryOutcome, err: ProxyError, reachedEndpoint: boolean): void {
    if (reachedEndpoint || outcome.kind === 'connect-failure') this.cluster.record(this.currentEp!, outcome);
    this.endTry();
    if (this.shouldRetry(outcome)) return this.retry(err);
    this.fail(err);
  }

  private retry(lastError?: ProxyError): void {
    const c = this.cluster;
    if (!c.acquireRetry()) {
      c.metrics.breakerTrip('retries');
      return this.fail(lastError ?? new ProxyError('MAILLE_ERR_BREAKER_OPEN', 503, `retry not sent: cluster ${c.name} has ${c.limits.maxRetries} retries in flight (connectionPool maxRetries)`));
    }
    if (!c.withdrawRetry()) {
      c.releaseRetry();
      return this.fail(lastError ?? new ProxyError('MAILLE_ERR_UPSTREAM_RESET', 503, `retry budget of cluster ${c.name} exhausted; upstream kept failing`));
    }
    this.retriesInFlight++;
    c.metrics.retry();
    const policy = this.route.retry!;
    const base = policy.backoff?.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
    const wait = backoffMs(this.tries, base, policy.backoff?.maxMs ?? base * 10);
    this.body?.detach();
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (!this.finished) this.attempt();
    }, wait);
  }

  /** The per-try timer fired (through `tryTimeout`). */
  onTryTimeout(): void {
    this.tryTimer = undefined;
    if (this.finished) return;
    const ms = this.route.retry?.perTryTimeoutMs ?? 0;
    this.current?.abandon();
    const outcome: TryOutcome = { kind: 'timeout' };
    this.cluster.record(this.currentEp!, outcome);
    this.endTry();
    const err = new ProxyError('MAILLE_ERR_UPSTREAM_TIMEOUT', 504, `no response from cluster ${this.cluster.name} within the per-try timeout of ${ms} ms (route ${this.route.name})`);
    if (this.shouldRetry(outcome)) return this.retry(err);
    this.fail(err);
  }

  /** The route timer fired (through `routeTimeout`). */
  onRouteTimeout(): void {
    this.routeTimer = undefined;
    if (this.finished) return;
    this.current?.abandon();
    if (this.currentEp) this.cluster.record(this.currentEp, { kind: 'timeout' });
    this.endTry();
    this.fail(
      new ProxyError('MAILLE_ERR_UPSTREAM_TIMEOUT', 504, `no response from cluster ${this.cluster.name} within the route timeout of ${this.route.timeoutMs} ms (route ${this.route.name}, ${this.tries} tries)`),
    );
  }

  /** Releases what the current try holds. */
  private endTry(): void {
    this.clearTryTimer();
    if (this.currentEp) {
      this.previousEp = this.currentEp;
      this.currentEp.active--;
      this.currentEp = undefined;
    }
    if (this.holdsRequestSlot) {
      this.holdsRequestSlot = false;
      this.cluster.releaseRequest();
    }
    this.current = undefined;
  }

  private clearTryTimer(): void {
    if (this.tryTimer) {
      clearTimeout(this.tryTimer);
      this.tryTimer = undefined;
    }
  }

  private complete(status: number): void {
    this.endTry();
    this.finish(status);
  }

  private fail(err: ProxyError): void {
    this.endTry();
    this.body?.detach();
    sendError(this.req, this.res, err);
    this.finish(this.res.headSent ? err.status : 0);
  }

  private finish(status: number): void {
    if (this.finished) return;
    this.finished = true;
    if (this.routeTimer) clearTimeout(this.routeTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.clearTryTimer();
    while (this.retriesInFlight > 0) {
      this.retriesInFlight--;
      this.cluster.releaseRetry();
    }
    this.metrics.request(status, Date.now() - this.started);
  }
}

// Timer callbacks as plain functions taking the Forwarding (setTimeout's extra argument): no
// closure per request for timers that most requests never arm.
function routeTimeout(fwd: Forwarding): void {
  fwd.onRouteTimeout();
}

function tryTimeout(fwd: Forwarding): void {
  fwd.onTryTimeout();
}

function grpcStatusOf(headers: HeaderList): number | undefined {
  const v = headers.get('grpc-status');
  return v === undefined ? undefined : Number(v);
}

/**
 * The callbacks of one try, as one object (not a closure per callback). Each try gets its own,
 * so a late callback from an abandoned try is ignored.
 */
class TryEvents implements TryHandler {
  constructor(
    private readonly fwd: Forwarding,
    private readonly ep: EndpointState,
  ) {}

  noConnection(reason: 'connect-failure' | 'pending-overflow', message: string): void {
    if (this.fwd.isCurrentTry(this.ep)) this.fwd.onNoConnection(reason, message);
  }

  interim(status: number, headers: HeaderList): void {
    if (this.fwd.isCurrentTry(this.ep)) this.fwd.onInterim(status, headers);
  }

  head(status: number, headers: HeaderList, encoding: 'plain' | 'chunked-wire' | undefined, length: number | undefined): void {
    if (this.fwd.isCurrentTry(this.ep)) this.fwd.onHead(this.ep, status, headers, encoding, length);
  }

  upgrade(raw: Buffer, socket: Socket): void {
    if (this.fwd.isCurrentTry(this.ep)) this.fwd.onUpgrade(this.ep, raw, socket);
    else socket.destroy();
  }

  data(chunk: Buffer): boolean {
    return this.fwd.isCurrentTry(this.ep) ? this.fwd.onData(chunk) : true;
  }

  end(trailers: HeaderList | undefined): void {
    if (this.fwd.isCurrentTry(this.ep)) this.fwd.onEnd(trailers);
  }

  fail(kind: 'reset' | 'protocol' | 'refused-stream', message: string, started: boolean, reused: boolean): void {
    if (this.fwd.isCurrentTry(this.ep)) this.fwd.onFail(this.ep, kind, message, started, reused);
  }
}
