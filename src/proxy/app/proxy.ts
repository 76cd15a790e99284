// `maille proxy` assembled: snapshot → state (compiled routes, live clusters, filters), listeners,
// admin. Reads like the diagram in docs/architecture.md:
//
//   listener ─ detect ─┬─ HTTP/1 codec ─┐
//                      ├─ HTTP/2 codec ─┴─ route → filters → forward (retries, timeouts) → cluster pool
//                      └─ TCP ───────────────────────────────────────────────────────────→ cluster endpoint
import type { Snapshot } from '../../model/snapshot.js';
import { compileRouteConfig } from '../router/compile.js';
import type { CompiledDestination, CompiledRoute, CompiledRouteTable } from '../router/types.js';
import { createFaultFilter } from '../filters/fault/filter.js';
import { ProxyMetrics, type RouteMetrics } from '../telemetry/proxy-metrics.js';
import { createLogger, setLogLevel, type LogLevel } from '../telemetry/log.js';
import { startAdminServer } from './admin.js';
import { ClusterSet } from './cluster-set.js';
import { ListenerRuntime } from './listener-runtime.js';
import { buildTlsContexts } from '../transport/tls-contexts.js';
import type { MeshIdentity } from '../transport/mesh-identity.js';
import type { ProxyState } from './state.js';

const log = createLogger('proxy');
const DEFAULT_DRAIN_MS = 5000;

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

  const syncListeners = async (snapshot: Snapshot): Promise<void> => {
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
    for (const l of snapshot.listeners) {
      if (listeners.has(l.name)) continue;
      const rt = new ListenerRuntime(l, getState);
      listenerPorts.set(l.name, await rt.listen());
      listeners.set(l.name, rt);
    }
  };

  let draining = false;
  await syncListeners(state.snapshot);
  // Re-run so listeners kept from the first pass see themselves as "current".
  const admin = await startAdminServer({
    address: opts.adminAddress,
    port: opts.adminPort,
    source: {
      ready: () => !draining,
      configDump: () => ({ version: state.version, snapshot: state.snapshot }),
      clusters: () => clusters.status(),
      metricsText: () => metrics.render(),
    },
  });

  let applying = Promise.resolve();
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
        await syncListeners(snapshot).catch((err: Error) => log.error('listener update failed', { error: err.message }));
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
