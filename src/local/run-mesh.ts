// `maille run`: a whole mesh on this machine. The control plane runs in this process; every
// workload replica gets a sidecar process (its own set of ports) and its app process, with the
// outbound settings in its environment; every gateway of spec.gateways gets a proxy process
// listening on the ports its Gateways declare. Every fixed port is checked before anything
// starts; Ctrl-C stops everything.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '../api/kinds.js';
import { ConfigError } from '../api/load.js';
import type { Mesh } from '../api/mesh.js';
import { isWellFormedToken } from '../control-plane/ca/bootstrap-tokens.js';
import { trustBundleFile } from '../control-plane/ca/live-authority.js';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import type { NodeInfo } from '../control-plane/discovery/protocol.js';
import { MemoryRegistry, servicesFromMesh } from '../control-plane/registry/index.js';
import { ResourceStore } from '../control-plane/sources/store.js';
import { meshCredentials } from './credentials.js';
import { gatewayListeners, unselectedGateways, type GatewayListener, type PlanInput } from './gateway-listeners.js';
import { gatewayNode, localGateways, type LocalGateway } from './gateways.js';
import { PortAllocator } from './port-allocator.js';
import { replaceFileSync } from './replace-file.js';
import { describePortProblem, gatewayWantedPort, portProblems, type WantedPort } from './port-check.js';
import { watchGatewayPorts, type GatewayPortWatch, type UnboundListener, type WatchedGateway } from './gateway-port-watch.js';
import { ProcessLedger, stopLeftovers } from './leftovers.js';
import { Supervisor } from './supervisor.js';
import { alignColumns } from './tables.js';

export interface RunOptions {
  resources: Resource[];
  stateDir: string;
  trustDomain: string;
  rootNamespace: string;
  /** Control-plane (discovery/CA) port; 0 picks a free one. */
  controlPlanePort: number;
  /** The mesh file as the user named it, for messages. Default "mesh file". */
  meshFile?: string;
  /** Relative credential paths are resolved here (the mesh file's directory). Default: cwd. */
  baseDir?: string;
  out(line: string): void;
}

export interface RunningMesh {
  controlPlane: ControlPlane;
  workloads: WorkloadPorts[];
  gateways: GatewayPorts[];
  /** Asks the gateways for listeners they could not bind (every 2 s; `check()` for one round now). */
  portWatch: GatewayPortWatch;
  stop(): Promise<void>;
}

export interface GatewayPorts {
  id: string;
  identity: string;
  labels: Readonly<Record<string, string>>;
  admin: number;
  /** Where it listens as the configuration stood at start (`maille apply` may add more). */
  listeners: GatewayListener[];
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

const BIN = fileURLToPath(new URL('../../../bin/maille.js', import.meta.url));

export async function runMesh(opts: RunOptions): Promise<RunningMesh> {
  const meshes = opts.resources.filter((r): r is Mesh => r.kind === 'Mesh');
  if (meshes.length !== 1) throw new Error(`expected exactly one Mesh resource in the files given (found ${meshes.length})`);
  const mesh = meshes[0];
  const meshFile = opts.meshFile ?? 'mesh file';
  const others = opts.resources.filter((r) => r.kind !== 'Mesh');
  const stateDir = resolve(opts.stateDir);
  const credentials = meshCredentials(mesh, meshFile, resolve(opts.baseDir ?? '.'));
  const gateways = localGateways(mesh);
  // The resources the control plane will serve (the file's, and those applied in an earlier run),
  // to know every gateway listener before anything starts.
  const planned = (await ResourceStore.open({ stateDir, fileResources: others })).resources();
  const planInput = { resources: planned, mesh: { trustDomain: opts.trustDomain, rootNamespace: opts.rootNamespace }, credentials };
  const listenersOf = new Map(gateways.map((g) => [g, gatewayListeners(g, planInput)]));
  unselectedGateways(planned, gateways, meshFile).forEach((line) => opts.out(line));
  // What an earlier run on this state directory left running (it was killed, not stopped), before
  // the port check: they may hold the very ports this run wants.
  const runDir = join(stateDir, 'run');
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const ledgerFile = join(runDir, 'processes.json');
  const leftovers = await stopLeftovers(ledgerFile);
  if (leftovers.length > 0) opts.out(`stopped ${leftovers.length} process(es) an earlier maille run on ${stateDir} left running: ${leftovers.join(', ')}`);

  const problems = await portProblems(wantedPorts(opts.controlPlanePort, listenersOf, meshFile));
  if (problems.length > 0) throw new ConfigError(meshFile, problems);

  const registry = new MemoryRegistry();
  for (const def of servicesFromMesh(mesh)) registry.upsertService(def);
  const cp = await startControlPlane({ stateDir, trustDomain: opts.trustDomain, rootNamespace: opts.rootNamespace, port: opts.controlPlanePort, resources: others, registry, credentials });
  const ledger = new ProcessLedger(ledgerFile);
  const supervisor = new Supervisor({ out: opts.out, onStarted: (name, pid) => ledger.started(name, pid), onExited: (_name, pid) => ledger.exited(pid) });
  try {
    // Kept current by the control plane (root rotation): a sidecar restarted later reads today's roots.
    const bundleFile = trustBundleFile(stateDir);
    const reserved = new Set([...listenersOf.values()].flat().map((l) => l.port));
    const launch: Launch = { cp, supervisor, runDir, bundleFile, trustDomain: opts.trustDomain, ports: new PortAllocator(reserved) };
    const workloads = await startWorkloads(mesh, launch);
    const gatewayPorts: GatewayPorts[] = [];
    const watched: WatchedGateway[] = [];
    for (const [gw, listeners] of listenersOf) {
      const started = await startGateway(gw, launch);
      gatewayPorts.push({ ...started, listeners });
      watched.push({ gateway: gw, admin: started.admin });
    }
    // A port taken after this start (a Gateway applied later): named in the log and in proxy-status.
    const portWatch = watchGatewayPorts({
      gateways: watched,
      describe: (gw, listener) => describeUnbound(gw, listener, { ...planInput, resources: cp.store.resources() }, meshFile),
      out: opts.out,
      report: (nodeId, lines) => cp.reportProblems(nodeId, lines),
    });
    return {
      controlPlane: cp,
      workloads,
      gateways: gatewayPorts,
      portWatch,
      async stop() {
        portWatch.stop();
        await supervisor.stop();
        await cp.close();
      },
    };
  } catch (err) {
    await supervisor.stop();
    await cp.close();
    throw err;
  }
}

/** What starting a proxy needs. */
interface Launch {
  cp: ControlPlane;
  supervisor: Supervisor;
  runDir: string;
  bundleFile: string;
  trustDomain: string;
  /** Ports the gateways will listen on: never handed to a workload. */
  /** Hands out the ports of sidecars, apps and admin servers (never a gateway's). */
  ports: PortAllocator;
}

/**
 * The token this proxy had in an earlier run, if any. Kept on purpose: a proxy of that run still
 * holds it (it outlived the launcher, or restarts from this file), and the control plane still
 * accepts it after a restart (ca/bootstrap-tokens.ts), so it can get a certificate again.
 */
function keptToken(l: Launch, id: string): string | undefined {
  try {
    const token = readFileSync(join(l.runDir, id, 'token'), 'utf8').trim();
    return isWellFormedToken(token) ? token : undefined;
  } catch {
    return undefined; // first run of this proxy
  }
}

/** Writes a proxy's bootstrap token and node description; returns the `maille proxy` arguments. */
function proxyArgs(l: Launch, id: string, token: string, node: NodeInfo, adminPort: number): string[] {
  const dir = join(l.runDir, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Replaced whole (rename), never seen half-written by a proxy starting at that moment.
  replaceFileSync(join(dir, 'token'), token, 0o600);
  writeFileSync(join(dir, 'node.json'), JSON.stringify(node));
  return [BIN, 'proxy', '--control-plane', `127.0.0.1:${l.cp.port}`, '--bootstrap-token-file', join(dir, 'token'), '--trust-bundle', l.bundleFile, '--trust-domain', l.trustDomain, '--node', join(dir, 'node.json'), '--admin-port', String(adminPort), '--log-level', 'warn'];
}

async function startGateway(gw: LocalGateway, l: Launch): Promise<Omit<GatewayPorts, 'listeners'>> {
  const admin = await l.ports.next();
  const identity = { trustDomain: l.trustDomain, namespace: gw.namespace, serviceAccount: gw.serviceAccount };
  // No workload registration: a gateway backs no service; it is a client of the mesh.
  const token = l.cp.expect({ node: gatewayNode(gw), identity }, gw.id, keptToken(l, gw.id));
  const node: NodeInfo = { id: gw.id, namespace: gw.namespace, serviceAccount: gw.serviceAccount, labels: { ...gw.labels }, addresses: [gw.address], proxyVersion: '0.1.0' };
  l.supervisor.start({ name: `${gw.id}/gateway`, command: process.execPath, args: proxyArgs(l, gw.id, token, node, admin) });
  return { id: gw.id, identity: `spiffe://${l.trustDomain}/ns/${gw.namespace}/sa/${gw.serviceAccount}`, labels: gw.labels, admin };
}

/** `port N (Gateway ns/name spec.servers[i], gateway G) is already in use on A; free it or change …`. */
function describeUnbound(gw: LocalGateway, unbound: UnboundListener, now: PlanInput, meshFile: string): string {
  const listener = gatewayListeners(gw, now).find((l) => l.port === unbound.port && l.address === unbound.address);
  const code = /\bE[A-Z]{3,}\b/.exec(unbound.error)?.[0] ?? (/already in use/.test(unbound.error) ? 'EADDRINUSE' : undefined);
  if (listener === undefined || code === undefined) return `gateway ${gw.id}: ${unbound.error}`;
  return describePortProblem(gatewayWantedPort(gw, listener, meshFile), code);
}

/** The fixed ports of the mesh: the control plane's, and each gateway listener's. */
function wantedPorts(controlPlanePort: number, listenersOf: Map<LocalGateway, GatewayListener[]>, meshFile: string): WantedPort[] {
  const wanted: WantedPort[] = [];
  if (controlPlanePort !== 0) wanted.push({ address: '127.0.0.1', port: controlPlanePort, owner: 'control plane', change: '--control-plane-port (0 picks a free one)' });
  for (const [gw, listeners] of listenersOf) for (const l of listeners) wanted.push(gatewayWantedPort(gw, l, meshFile));
  return wanted;
}

async function startWorkloads(mesh: Mesh, l: Launch): Promise<WorkloadPorts[]> {
  const { cp, supervisor } = l;
  const workloads: WorkloadPorts[] = [];
  for (const svc of mesh.spec.services) {
    const namespace = svc.namespace ?? 'default';
    const sa = svc.serviceAccount ?? svc.name;
    for (const w of svc.workloads ?? []) {
      for (let i = 0; i < (w.replicas ?? 1); i++) {
        const id = `${svc.name}-${w.version ?? 'v0'}-${i}`;
        const free = () => l.ports.next();
        const ports = { app: await free(), inbound: await free(), outbound: await free(), admin: await free() };
        const labels: Record<string, string> = { app: svc.name, ...(w.version ? { version: w.version } : {}), ...(w.labels ?? {}) };
        const identity = { trustDomain: l.trustDomain, namespace, serviceAccount: sa };
        const token = cp.expect(
          {
            node: { kind: 'sidecar', workloadId: id, namespace, labels, ports: { outbound: ports.outbound, inbound: ports.inbound } },
            identity,
            workload: { id, service: svc.name, namespace, serviceAccount: sa, labels, address: '127.0.0.1', inboundPort: ports.inbound, appPort: ports.app },
          },
          id,
          keptToken(l, id),
        );
        const node: NodeInfo = { id, namespace, serviceAccount: sa, labels, addresses: ['127.0.0.1'], proxyVersion: '0.1.0', service: { name: svc.name, ports: [{ port: svc.port, targetPort: ports.app }] } };
        supervisor.start({ name: `${id}/proxy`, command: process.execPath, args: proxyArgs(l, id, token, node, ports.admin) });
        const outbound = `http://127.0.0.1:${ports.outbound}`;
        supervisor.start({
          name: id,
          command: '/bin/sh',
          args: ['-c', w.command],
          env: { ...(w.env ?? {}), PORT: String(ports.app), HTTP_PROXY: outbound, http_proxy: outbound, MAILLE_OUTBOUND: outbound, NO_PROXY: '', no_proxy: '' },
        });
        workloads.push({ id, service: svc.name, namespace, identity: `spiffe://${l.trustDomain}/ns/${namespace}/sa/${sa}`, ...ports });
      }
    }
  }
  return workloads;
}

/** The table `maille run` prints: who runs where. */
export function formatWorkloadTable(workloads: WorkloadPorts[], cpPort: number): string[] {
  const rows = [['WORKLOAD', 'SERVICE', 'IDENTITY', 'APP', 'INBOUND', 'OUTBOUND (HTTP_PROXY)', 'ADMIN']];
  for (const w of workloads) rows.push([w.id, `${w.service}.${w.namespace}`, w.identity, String(w.app), String(w.inbound), String(w.outbound), String(w.admin)]);
  return [`control plane 127.0.0.1:${cpPort}`, ...alignColumns(rows)];
}
