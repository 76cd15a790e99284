// Before `maille run` starts anything: every fixed port the mesh will listen on is tried, so a
// port already taken is one line naming the port, who wanted it and what to change — not a
// gateway crash-looping in the logs after half the mesh started.
import { createServer } from 'node:net';

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
    problems.push(describe(w, code));
  }
  return problems;
}

function describe(w: WantedPort, code: string): string {
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
function tryListen(address: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
