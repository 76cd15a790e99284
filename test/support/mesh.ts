// Sidecars run in-process against an in-process control plane, for tests of the control plane's
// behaviour under load (restart, certificate rotation).
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import type { ControlPlane, ExpectedProxy } from '../../src/control-plane/control-plane.js';
import { runWithControlPlane, type ControlPlaneModeHandle } from '../../src/proxy/app/control-plane-mode.js';
import type { NodeInfo } from '../../src/control-plane/discovery/protocol.js';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Sidecar {
  expected: ExpectedProxy;
  node: NodeInfo;
  ports: { inbound: number; outbound: number };
}

export async function sidecar(service: string, appPort: number): Promise<Sidecar> {
  const id = `${service}-v1-0`;
  const ports = { inbound: await freePort(), outbound: await freePort() };
  const labels = { app: service, version: 'v1' };
  return {
    ports,
    node: { id, namespace: 'default', serviceAccount: service, labels, addresses: ['127.0.0.1'], proxyVersion: 'test' },
    expected: {
      node: { kind: 'sidecar', workloadId: id, namespace: 'default', labels, ports },
      identity: { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: service },
      workload: { id, service, namespace: 'default', serviceAccount: service, labels, address: '127.0.0.1', inboundPort: ports.inbound, appPort },
    },
  };
}



/** Starts each sidecar in control-plane mode against `cp`. */
export function connectSidecars(cp: ControlPlane, sidecars: Sidecar[]): ControlPlaneModeHandle[] {
  return sidecars.map((s) =>
    runWithControlPlane({
      address: '127.0.0.1',
      port: cp.port,
      trustBundlePem: cp.trustBundlePem(),
      trustDomain: 'cluster.local',
      bootstrapToken: cp.expect(s.expected, s.node.id),
      node: s.node,
      adminPort: 0,
      adminAddress: '127.0.0.1',
      logLevel: 'error',
    }),
  );
}

/** GETs `url` through a sidecar's outbound listener (as an app with HTTP_PROXY), keep-alive. */
export function outboundGetter(outboundPort: number, url: string): { get(): Promise<number>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const host = new URL(url).host;
  return {
    get: () =>
      new Promise((resolve) => {
        const req = request({ host: '127.0.0.1', port: outboundPort, path: url, headers: { host }, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

/** Runs `get` in `parallel` loops until stopped (or `maxMs`, a safety bound); collects statuses. */
export function loadLoops(get: () => Promise<number>, parallel: number, maxMs: number): { statuses: number[]; stop(): Promise<void> } {
  const statuses: number[] = [];
  let running = true;
  const stopAt = Date.now() + maxMs;
  const loops = Array.from({ length: parallel }, async () => {
    while (running && Date.now() < stopAt) statuses.push(await get());
  });
  return {
    statuses,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}
