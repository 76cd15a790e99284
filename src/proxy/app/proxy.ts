// `maille proxy` assembled: snapshot → state (compiled routes, live clusters, filters), listeners,
// admin. Reads like the diagram in docs/architecture.md:
//
//   listener ─ detect ─┬─ HTTP/1 codec ─┐
//                      ├─ HTTP/2 codec ─┴─ route → filters → forward (retries, timeouts) → cluster pool
//                      └─ TCP ───────────────────────────────────────────────────────────→ cluster endpoint
import type { Listener, Snapshot } from '../../model/snapshot.js';
import { compileRouteConfig } from '../router/compile.js';
import type { CompiledDestination, CompiledRoute, CompiledRouteTable } from '../router/types.js';
import { createFaultFilter } from '../filters/fault/filter.js';
import { ProxyMetrics, type RouteMetrics } from '../telemetry/proxy-metrics.js';
import { createLogger, setLogLevel, type LogLevel } from '../telemetry/log.js';
import { isoTimestamp } from '../telemetry/clock-text.js';
import { startAdminServer } from './admin.js';
import { ClusterSet } from './cluster-set.js';
import { ListenerRuntime } from './listener-runtime.js';
import { buildTlsContexts } from '../transport/tls-contexts.js';
import type { MeshIdentity } from '../transport/mesh-identity.js';
import type { ProxyState } from './state.js';

const log = createLogger('proxy');
const DEFAULT_DRAIN_MS = 5000;
/** How often a listener whose port was taken tries again. */
const LISTENER_RETRY_MS = 2000;

export interface ProxyOptions {
  snapshot: Snapshot;
  /** The workload certificate for mesh mTLS; required when the snapshot uses `mtls`. */
  identity?: MeshIdentity;
  adminPort: number;
  adminAddress: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export interface ApplyResult {
  applied: boolean;
  /** Why the snapshot was refused (the last good one keeps serving). */
  error?: string;
}

export interface ProxyHandle {
  /** Swaps in a snapshot; resolves (never rejects) once applied or refused. */
  applySnapshot(s: Snapshot): Promise<ApplyResult>;
  drain(): Promise<void>;
  close(): Promise<void>;
  readonly listenerPorts: Map<string, number>;
  readonly adminPort: number;
}

export async function startProxy(opts: ProxyOptions): Promise<ProxyHandle> {
  setLogLevel(opts.logLevel as LogLevel);
  const metrics = new ProxyMetrics();
  const clusters = new ClusterSet(metrics, opts.identity);
  const filters = [createFaultFilter()];
  let state: ProxyState;
  const getState = (): ProxyState => state;

  /** Everything that can fail (route compilation) happens before the swap. */
  const buildState = (snapshot: Snapshot): ProxyState => {
    if (!opts.identity) requireNoMtls(snapshot);
    const routeTables = new Map<string, CompiledRouteTable>();
    for (const rc of snapshot.routeConfigs ?? []) routeTables.set(rc.name, compileRouteConfig(rc));
    const tlsContexts = buildTlsContexts(snapshot.listeners);
    const live = clusters.apply(snapshot.clusters ?? []);
    // Compiled destinations live as long as this state, so an identity map is the whole cache.
    const handles = new WeakMap<CompiledDestination, RouteMetrics>();
    const routeMetrics = (route: CompiledRoute, dest: CompiledDestination): RouteMetrics => {
      let h = handles.get(dest);
      if (!h) handles.set(dest, (h = metrics.forRoute(route.name, dest.cluster)));
      return h;
    };
    return { version: snapshot.version, snapshot, routeTables, clusters: live, filters, metrics, tlsContexts, identity: opts.identity, routeMetrics };
  };

  state = buildState(opts.snapshot);
  const listeners = new Map<string, ListenerRuntime>();
  const listenerPorts = new Map<string, number>();

  // Listeners a snapshot wants whose port could not be had (taken by another process after the
  // proxy started, say). The rest of the snapshot applies; these are retried until they bind, and
  // /config_dump lists them (like Envoy's listener error_state) so a launcher can say which port.
  const unbound = new Map<string, { name: string; address: string; port: number; error: string; since: string }>();
  let retryTimer: NodeJS.Timeout | undefined;

  const openListener = async (l: Listener): Promise<void> => {
    const rt = new ListenerRuntime(l, getState);
    listenerPorts.set(l.name, await rt.listen());
    listeners.set(l.name, rt);
  };

  /** `tolerant`: a listener that cannot bind is remembered and retried instead of failing the sync. */
  const syncListeners = async (snapshot: Snapshot, tolerant: boolean): Promise<void> => {
    const wanted = new Map(snapshot.listeners.map((l) => [l.name, l]));
    for (const [name, rt] of listeners) {
      const next = wanted.get(name);
      const cur = state.snapshot.listeners.find((l) => l.name === name);
      if (!next || !cur || next.port !== cur.port || (next.address ?? '') !== (cur.address ?? '')) {
        rt.drain();
        listeners.delete(name);
        listenerPorts.delete(name);
      } else {
        rt.update(next);
      }
    }
    for (const name of unbound.keys()) if (!wanted.has(name)) unbound.delete(name);
    for (const l of snapshot.listeners) {
      if (listeners.has(l.name)) continue;
      try {
        await openListener(l);
        unbound.delete(l.name);
      } catch (err) {
        if (!tolerant) throw err;
        noteUnbound(l, (err as Error).message);
      }
    }
    scheduleRetry();
  };

  const noteUnbound = (l: Listener, error: string): void => {
    const before = unbound.get(l.name);
    const address = l.address ?? '127.0.0.1';
    if (before?.error === error && before.port === l.port && before.address === address) return;
    log.error('listener cannot bind; the rest of the snapshot serves, and it is retried', { listener: l.name, error });
    unbound.set(l.name, { name: l.name, address, port: l.port, error, since: isoTimestamp(Date.now()) });
  };

  const scheduleRetry = (): void => {
    if (unbound.size === 0 || retryTimer !== undefined || draining) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      // In line with snapshot swaps, against the snapshot in force by then.
      applying = applying.then(async () => {
        if (draining) return;
        for (const name of [...unbound.keys()]) {
          const l = state.snapshot.listeners.find((x) => x.name === name);
          if (l === undefined || listeners.has(name)) {
            unbound.delete(name);
            continue;
          }
          try {
            await openListener(l);
            unbound.delete(name);
            log.info('listener bound after all', { listener: name, port: l.port });
          } catch (err) {
            noteUnbound(l, (err as Error).message);
          }
        }
        scheduleRetry();
      }).catch((err: Error) => log.error('listener retry failed', { error: err.message }));
    }, LISTENER_RETRY_MS);
    retryTimer.unref();
  };

  let draining = false;
  let applying = Promise.resolve();
  // The first snapshot's listeners must all bind: a proxy that cannot have its ports fails to start.
  await syncListeners(state.snapshot, false);
  // Re-run so listeners kept from the first pass see themselves as "current".
  const admin = await startAdminServer({
    address: opts.adminAddress,
    port: opts.adminPort,
    source: {
      ready: () => !draining,
      configDump: () => ({ version: state.version, snapshot: state.snapshot, ...(unbound.size > 0 ? { unboundListeners: [...unbound.values()] } : {}) }),
      clusters: () => clusters.status(),
      metricsText: () => metrics.render(),
    },
  });

  const handle: ProxyHandle = {
    listenerPorts,
    adminPort: admin.port,
    applySnapshot(snapshot: Snapshot): Promise<ApplyResult> {
      const result = applying.then(async (): Promise<ApplyResult> => {
        let next: ProxyState;
        try {
          next = buildState(snapshot);
        } catch (err) {
          const error = (err as Error).message;
          log.error('snapshot rejected; keeping the last good one', { version: snapshot.version, error });
          return { applied: false, error };
        }
        const previous = state;
        await syncListeners(snapshot, true);
        state = next;
        clusters.retire(previous.clusters, next.clusters);
        log.info('snapshot applied', { version: snapshot.version });
        return { applied: true };
      });
      applying = result.then(() => undefined);
      return result;
    },
    async drain(): Promise<void> {
      if (draining) return;
      draining = true;
      for (const l of listeners.values()) l.drain();
      const deadline = Date.now() + (state.snapshot.drainTimeoutMs ?? DEFAULT_DRAIN_MS);
      while (Date.now() < deadline && [...listeners.values()].some((l) => l.connectionCount > 0)) {
        await new Promise((r) => setTimeout(r, 25));
      }
      await handle.close();
    },
    async close(): Promise<void> {
      draining = true;
      clearTimeout(retryTimer);
      for (const l of listeners.values()) l.close();
      listeners.clear();
      clusters.close();
      await admin.close();
    },
  };
  return handle;
}

/** Checked before anything is built, so a refused snapshot leaves no half-applied state. */
function requireNoMtls(snapshot: Snapshot): void {
  const needs = [
    ...snapshot.listeners.filter((l) => l.mtls).map((l) => `listener ${l.name}`),
    ...(snapshot.clusters ?? []).filter((c) => c.mtls).map((c) => `cluster ${c.name}`),
  ];
  if (needs.length > 0) {
    throw new Error(`${needs.join(', ')}: mtls needs a workload certificate (run the proxy with a control plane, or give it --cert, --key and --trust-bundle)`);
  }
}
