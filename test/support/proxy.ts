// Starts a real maille proxy in this process from a snapshot, on ephemeral ports.
import { startProxy, type ProxyHandle } from '../../src/proxy/app/proxy.js';
import type { Snapshot, Cluster, Route } from '../../src/model/snapshot.js';
import { validateSnapshot } from '../../src/proxy/config/validate.js';

export async function proxyFor(snapshot: Snapshot): Promise<ProxyHandle & { port: number }> {
  const valid = validateSnapshot(snapshot, 'test snapshot');
  const handle = await startProxy({ snapshot: valid, adminPort: 0, adminAddress: '127.0.0.1', logLevel: 'error' });
  return Object.assign(handle, { port: handle.listenerPorts.get(valid.listeners[0].name)! });
}

/** A one-listener snapshot: every host goes through `routes` of a "*" virtual host. */
export function snapshotWith(routes: Route[], clusters: Cluster[], extra: Partial<Snapshot> = {}): Snapshot {
  return {
    version: '1',
    listeners: [{ name: 'http', address: '127.0.0.1', port: 0, protocol: 'http1', routeConfig: 'main' }],
    routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes }] }],
    clusters,
    ...extra,
  };
}

export function cluster(name: string, ports: number[], more: Partial<Cluster> = {}): Cluster {
  return { name, endpoints: ports.map((port) => ({ address: '127.0.0.1', port })), ...more };
}
