// `maille tls-check WORKLOAD [SERVICE]`: for each outbound cluster of a proxy, whether it sends
// mutual TLS, what the destination's inbound listeners require, the identities on both ends, and
// whether the two can talk at all (plaintext to STRICT, or mTLS to DISABLE, cannot).
import type { ProxyConfig } from '../../control-plane/sources/api-client.js';
import { ArgsError, formatOptions, outputOption, parseArgs, type OptionSpecs } from '../args.js';
import type { Command } from '../command.js';
import { printData } from '../output.js';
import { printTable, resolveProxy } from './proxy-config.js';

const options = {
  output: outputOption,
  'state-dir': { type: 'string', valueName: 'DIR', default: '.maille', description: 'state directory of the running maille run' },
} as const satisfies OptionSpecs;

type ServerMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

export interface TlsCheckRow {
  cluster: string;
  host: string;
  port: number;
  subset?: string;
  client: 'mTLS' | 'plaintext';
  /** Each mode the destination's endpoints' inbound listeners use; empty: none is a known proxy. */
  server: ServerMode[];
  clientIdentity: string;
  /** The SPIFFE IDs the client accepts; empty: any identity of the trust domain (or plaintext). */
  serverIdentities: string[];
  status: 'OK' | 'CONFLICT';
}

export const command: Command = {
  help: () => [
    'usage: maille tls-check WORKLOAD [SERVICE] [-o json|yaml] [--state-dir DIR]',
    '',
    "For each destination of WORKLOAD's proxy (or only SERVICE's), whether it sends mTLS, what the",
    "destination's proxies require (STRICT, PERMISSIVE or DISABLE) and the identities on both ends.",
    'CONFLICT: plaintext to a STRICT server, or mTLS to a DISABLE one; those requests fail.',
    '',
    ...formatOptions(options),
  ],

  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, options, { maxPositionals: 2 });
    const [workload, service] = positionals;
    if (workload === undefined) throw new ArgsError('needs a WORKLOAD, e.g. maille tls-check client-v1-0');
    const { ApiClient } = await import('../../control-plane/sources/api-client.js');
    const client = await ApiClient.find(o['state-dir']);
    const nodeId = await resolveProxy(client, workload);
    const own = await client.proxyConfig(nodeId);
    // Every other connected proxy: whose inbound listener each endpoint is.
    const others = await Promise.all(
      (await client.proxies()).filter((p) => p.nodeId !== nodeId).map((p) => client.proxyConfig(p.nodeId).catch(() => undefined)),
    );
    const rows = tlsCheck(own, [own, ...others.filter((c): c is ProxyConfig => c !== undefined)], service);
    if (service !== undefined && rows.length === 0) throw new Error(`${nodeId} has no destination ${service}`);
    if (o.output) {
      printData(ctx, o.output, rows);
      return 0;
    }
    printTable(ctx, [
      ['HOST:PORT', 'SUBSET', 'CLIENT', 'SERVER', 'CLIENT IDENTITY', 'SERVER IDENTITIES', 'STATUS'],
      ...rows.map((r) => [
        `${r.host}:${r.port}`,
        r.subset ?? '-',
        r.client,
        r.server.length === 0 ? '-' : r.server.join('/'),
        r.clientIdentity,
        r.serverIdentities.length === 0 ? '-' : r.serverIdentities.join(','),
        r.status,
      ]),
    ]);
    return 0;
  },
};

/** The rows for `own`'s outbound clusters (`outbound|PORT|SUBSET|HOST`), optionally of one service. */
export function tlsCheck(own: ProxyConfig, proxies: readonly ProxyConfig[], service?: string): TlsCheckRow[] {
  // address:port of each proxy's inbound listener → its mode (no mtls on it: DISABLE).
  const inbound = new Map<string, ServerMode>();
  for (const p of proxies) {
    for (const l of p.snapshot.listeners) {
      if (l.direction !== 'inbound') continue;
      inbound.set(`${l.address ?? '127.0.0.1'}:${l.port}`, l.mtls?.mode ?? 'DISABLE');
    }
  }
  const rows: TlsCheckRow[] = [];
  for (const c of own.snapshot.clusters ?? []) {
    const [direction, port, subset, host] = c.name.split('|');
    if (direction !== 'outbound' || host === undefined) continue;
    if (service !== undefined && !namesService(host, service)) continue;
    const modes = new Set<ServerMode>();
    for (const e of c.endpoints) {
      const mode = inbound.get(`${e.address}:${e.port}`);
      if (mode !== undefined) modes.add(mode);
    }
    const server = (['STRICT', 'PERMISSIVE', 'DISABLE'] as const).filter((m) => modes.has(m));
    const mtls = c.mtls !== undefined;
    const conflict = mtls ? server.includes('DISABLE') : server.includes('STRICT');
    rows.push({
      cluster: c.name,
      host,
      port: Number(port),
      ...(subset ? { subset } : {}),
      client: mtls ? 'mTLS' : 'plaintext',
      server,
      clientIdentity: own.spiffeId,
      serverIdentities: [...(c.mtls?.subjectAltNames ?? [])],
      status: conflict ? 'CONFLICT' : 'OK',
    });
  }
  return rows;
}

/** `reviews`, `reviews.default`, `reviews.default.svc…` all name reviews.default.svc.cluster.local. */
function namesService(host: string, service: string): boolean {
  return host === service || host.startsWith(`${service}.`);
}
