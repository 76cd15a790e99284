// Before `maille run` starts anything: every fixed port the mesh will listen on is tried, so a
// port already taken is one line naming the port, who wanted it and what to change — not a
// gateway crash-looping in the logs after half the mesh started.
import { createServer } from 'node:net';
import type { GatewayListener } from './gateway-listeners.js';
import type { LocalGateway } from './gateways.js';

export interface WantedPort {
  address: string;
  port: number;
  /** Who listens there, e.g. "Gateway istio-system/bookinfo-gateway spec.servers[0]". */
  owner: string;
  /** What the user can change to move it, e.g. "--control-plane-port N". */
  change: string;
}

/** One line per port that cannot be had; empty when all are free. */
export async function portProblems(wanted: readonly WantedPort[]): Promise<string[]> {
  const problems: string[] = [];
  const clashing = new Set<WantedPort>();
  wanted.forEach((w, i) => {
    const other = wanted.slice(0, i).find((o) => o.port === w.port && overlaps(o.address, w.address));
    if (other === undefined) return;
    clashing.add(w);
    problems.push(`port ${w.port} is wanted twice on ${w.address}: by ${other.owner} and by ${w.owner}; change ${w.change}`);
  });
  for (const w of wanted) {
    if (clashing.has(w) || w.port === 0) continue;
    const code = await tryListen(w.address, w.port);
    if (code === undefined) continue;
    problems.push(describePortProblem(w, code));
  }
  return problems;
}

/** A gateway listener as a wanted port: the Gateway servers behind it, and where to move it. */
export function gatewayWantedPort(gw: LocalGateway, l: GatewayListener, meshFile: string): WantedPort {
  const mapped = l.gatewayPorts.find((p) => p !== l.port);
  const owner = `${l.servers.join(', ')}${mapped !== undefined ? `, port ${mapped} → ${l.port}` : ''}, gateway ${gw.id}`;
  const change =
    mapped !== undefined
      ? `its targetPort in ${meshFile} ${gw.path}.ports`
      : `the Gateway's port, or map it in ${meshFile} ${gw.path}.ports (e.g. - {port: ${l.port}, targetPort: ${l.port + 10000 > 65535 ? 18080 : l.port + 10000}})`;
  return { address: l.address, port: l.port, owner, change };
}

/** The line for a port that could not be bound with error `code` (EADDRINUSE, EACCES…). */
export function describePortProblem(w: WantedPort, code: string): string {
  const at = `port ${w.port} (${w.owner})`;
  switch (code) {
    case 'EADDRINUSE':
      return `${at} is already in use on ${w.address}; free it or change ${w.change}`;
    case 'EACCES':
      return `${at} cannot be bound on ${w.address}: ports below 1024 need root; change ${w.change}`;
    case 'EADDRNOTAVAIL':
      return `${at}: address ${w.address} is not an address of this machine; change ${w.change}`;
    default:
      return `${at} cannot be bound on ${w.address} (${code}); change ${w.change}`;
  }
}

/** Two binds clash when they are the same address or one of them is a wildcard. */
function overlaps(a: string, b: string): boolean {
  const any = (x: string) => x === '0.0.0.0' || x === '::';
  return a === b || any(a) || any(b);
}

/** undefined when (address, port) can be listened on now; else the error code. */
export function tryListen(address: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
