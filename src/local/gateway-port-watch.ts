// Ports that became a problem after start. Before anything runs, `maille run` checks every port
// (port-check.ts); a Gateway applied later may want a port some other process holds by then. The
// gateway proxy applies the rest of its configuration and keeps retrying that listener, listing it
// in its /config_dump as unbound (as Envoy reports a listener's error_state). This watch asks each
// gateway for it, says in `maille run`'s log which port and what to change, hands the same line to
// the control plane for `maille proxy-status`, and says so again once the port is had after all.
import { request } from 'node:http';
import type { LocalGateway } from './gateways.js';

export interface UnboundListener {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly error: string;
}

export interface WatchedGateway {
  readonly gateway: LocalGateway;
  /** Its admin port (loopback). */
  readonly admin: number;
}

export interface GatewayPortWatchOptions {
  readonly gateways: readonly WatchedGateway[];
  /** The line for a listener that cannot bind: the port, who wants it and what to change. */
  describe(gateway: LocalGateway, listener: UnboundListener): string;
  out(line: string): void;
  /** The gateway's current problems (empty once solved), for `maille proxy-status`. */
  report(nodeId: string, problems: readonly string[]): void;
  /** Default 2 s: the gateway retries every 2 s too. */
  intervalMs?: number;
}

export interface GatewayPortWatch {
  /** One round now (tests; the timer does the same). */
  check(): Promise<void>;
  stop(): void;
}

export function watchGatewayPorts(opts: GatewayPortWatchOptions): GatewayPortWatch {
  // What was last said per gateway, by listener name → line: a problem is logged once, not every round.
  const said = new Map<string, Map<string, { line: string; listener: UnboundListener }>>();
  let stopped = false;
  let round: Promise<void> | undefined;

  const checkOne = async ({ gateway, admin }: WatchedGateway): Promise<void> => {
    const unbound = await unboundListeners(admin);
    if (unbound === undefined || stopped) return; // not up (starting, restarting): ask next round
    const before = said.get(gateway.id) ?? new Map<string, { line: string; listener: UnboundListener }>();
    const now = new Map(unbound.map((l) => [l.name, { line: opts.describe(gateway, l), listener: l }]));
    for (const [name, { line }] of now) if (before.get(name)?.line !== line) opts.out(`warning: ${line}`);
    for (const [name, { listener }] of before) {
      if (!now.has(name)) opts.out(`gateway ${gateway.id}: listening on ${listener.address}:${listener.port} now, or no longer asked to`);
    }
    const changed = now.size !== before.size || [...now].some(([name, { line }]) => before.get(name)?.line !== line);
    said.set(gateway.id, now);
    if (changed) opts.report(gateway.id, [...now.values()].map((v) => v.line));
  };

  const check = (): Promise<void> => {
    round ??= Promise.all(opts.gateways.map(checkOne))
      .then(() => undefined)
      .finally(() => (round = undefined));
    return round;
  };

  const timer = setInterval(() => void check(), opts.intervalMs ?? 2000);
  timer.unref();
  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** The gateway's unbound listeners; undefined when its admin does not answer (yet). */
function unboundListeners(adminPort: number): Promise<UnboundListener[] | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: adminPort, path: '/config_dump', timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          const dump = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { unboundListeners?: unknown } | null;
          resolve(parseUnbound(dump?.unboundListeners));
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

function parseUnbound(value: unknown): UnboundListener[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (v): v is UnboundListener =>
      typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.address === 'string' && typeof v.port === 'number' && typeof v.error === 'string',
  );
}
