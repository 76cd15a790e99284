// `maille run`: a whole mesh on this machine. The control plane runs in this process; every
// workload replica gets a sidecar process (its own set of ports) and its app process, with the
// outbound settings in its environment; Ctrl-C stops everything.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '../api/kinds.js';
import type { Mesh } from '../api/mesh.js';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { NodeInfo } from '../control-plane/discovery/protocol.js';
import { MemoryRegistry, servicesFromMesh } from '../control-plane/registry/index.js';
import { Supervisor } from './supervisor.js';

export interface RunOptions {
  resources: Resource[];
  stateDir: string;
  trustDomain: string;
  rootNamespace: string;
  /** Control-plane (discovery/CA) port; 0 picks a free one. */
  controlPlanePort: number;
  out(line: string): void;
}

export interface RunningMesh {
  controlPlane: ControlPlane;
  workloads: WorkloadPorts[];
  stop(): Promise<void>;
}

export interface WorkloadPorts {
  id: string;
  service: string;
  namespace: string;
  identity: string;
  app: number;
  inbound: number;
  outbound: number;
  admin: number;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const BIN = fileURLToPath(new URL('../../../bin/maille.js', import.meta.url));

export async function runMesh(opts: RunOptions): Promise<RunningMesh> {
  const meshes = opts.resources.filter((r): r is Mesh => r.kind === 'Mesh');
  if (meshes.length !== 1) throw new Error(`expected exactly one Mesh resource in the files given (found ${meshes.length})`);
  const mesh = meshes[0];
  const others = opts.resources.filter((r) => r.kind !== 'Mesh');
  const registry = new MemoryRegistry();
  for (const def of servicesFromMesh(mesh)) registry.upsertService(def);

  const stateDir = resolve(opts.stateDir);
  const cp = await startControlPlane({ stateDir, trustDomain: opts.trustDomain, rootNamespace: opts.rootNamespace, port: opts.controlPlanePort, resources: others, registry });
  const runDir = join(stateDir, 'run');
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const bundleFile = join(runDir, 'trust-bundle.pem');
  writeFileSync(bundleFile, cp.trustBundlePem());

  const supervisor = new Supervisor({ out: opts.out });
  const workloads: WorkloadPorts[] = [];
  for (const svc of mesh.spec.services) {
    const namespace = svc.namespace ?? 'default';
    const sa = svc.serviceAccount ?? svc.name;
    for (const w of svc.workloads ?? []) {
      for (let i = 0; i < (w.replicas ?? 1); i++) {
        const id = `${svc.name}-${w.version ?? 'v0'}-${i}`;
        const ports = { app: await freePort(), inbound: await freePort(), outbound: await freePort(), admin: await freePort() };
        const labels: Record<string, string> = { app: svc.name, ...(w.version ? { version: w.version } : {}), ...(w.labels ?? {}) };
        const identity = { trustDomain: opts.trustDomain, namespace, serviceAccount: sa };
        const token = cp.expect(
          {
            node: { kind: 'sidecar', workloadId: id, namespace, labels, ports: { outbound: ports.outbound, inbound: ports.inbound } },
            identity,
            workload: { id, service: svc.name, namespace, serviceAccount: sa, labels, address: '127.0.0.1', inboundPort: ports.inbound, appPort: ports.app },
          },
          id,
        );
        const dir = join(runDir, id);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
        const node: NodeInfo = { id, namespace, serviceAccount: sa, labels, addresses: ['127.0.0.1'], proxyVersion: '0.1.0', service: { name: svc.name, ports: [{ port: svc.port, targetPort: ports.app }] } };
        writeFileSync(join(dir, 'node.json'), JSON.stringify(node));
        supervisor.start({
          name: `${id}/proxy`,
          command: process.execPath,
          args: [BIN, 'proxy', '--control-plane', `127.0.0.1:${cp.port}`, '--bootstrap-token-file', join(dir, 'token'), '--trust-bundle', bundleFile, '--trust-domain', opts.trustDomain, '--node', join(dir, 'node.json'), '--admin-port', String(ports.admin), '--log-level', 'warn'],
        });
        const outbound = `http://127.0.0.1:${ports.outbound}`;
        supervisor.start({
          name: id,
          command: '/bin/sh',
          args: ['-c', w.command],
          env: { ...(w.env ?? {}), PORT: String(ports.app), HTTP_PROXY: outbound, http_proxy: outbound, MAILLE_OUTBOUND: outbound, NO_PROXY: '', no_proxy: '' },
        });
        workloads.push({ id, service: svc.name, namespace, identity: `spiffe://${opts.trustDomain}/ns/${namespace}/sa/${sa}`, ...ports });
      }
    }
  }
  return {
    controlPlane: cp,
    workloads,
    async stop() {
      await supervisor.stop();
      await cp.close();
    },
  };
}

/** The table `maille run` prints: who runs where. */
export function formatWorkloadTable(workloads: WorkloadPorts[], cpPort: number): string[] {
  const rows = [['WORKLOAD', 'SERVICE', 'IDENTITY', 'APP', 'INBOUND', 'OUTBOUND (HTTP_PROXY)', 'ADMIN']];
  for (const w of workloads) rows.push([w.id, `${w.service}.${w.namespace}`, w.identity, String(w.app), String(w.inbound), String(w.outbound), String(w.admin)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return [`control plane 127.0.0.1:${cpPort}`, ...rows.map((r) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd())];
}
