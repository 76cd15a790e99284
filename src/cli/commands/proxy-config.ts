// `maille proxy-config WORKLOAD routes|clusters|endpoints|secret|all`: what the control plane last
// computed for one proxy, as tables (or data with -o), like `istioctl proxy-config`. Never a key:
// the API leaves private keys out, and `secret` shows the certificate issued to that proxy (its
// chain with -o) and the trust bundle last pushed to it.
import type { ApiClient, ProxyConfig } from '../../control-plane/sources/api-client.js';
import type { HeaderMatch, Route, RouteMatch, StringMatch } from '../../model/snapshot.js';
import { ArgsError, formatOptions, outputOption, parseArgs, type OptionSpecs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { printData } from '../output.js';

const options = {
  output: outputOption,
  'state-dir': { type: 'string', valueName: 'DIR', default: '.maille', description: 'state directory of the running maille run' },
} as const satisfies OptionSpecs;

const SECTIONS = ['routes', 'clusters', 'endpoints', 'secret', 'all'] as const;
type Section = (typeof SECTIONS)[number];

export const command: Command = {
  help: () => [
    'usage: maille proxy-config WORKLOAD routes|clusters|endpoints|secret|all [-o json|yaml] [--state-dir DIR]',
    '',
    "Shows one proxy's configuration as the running control plane computed it. WORKLOAD is a proxy",
    'name from maille proxy-status (client-v1-0), or a prefix that names one proxy (client, reviews-v2).',
    'all prints everything as data (JSON unless -o yaml).',
    '',
    ...formatOptions(options),
  ],

  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, options, { maxPositionals: 2 });
    const [workload, sectionName] = positionals;
    if (workload === undefined) throw new ArgsError('needs a WORKLOAD, e.g. maille proxy-config client-v1-0 routes');
    if (sectionName === undefined) throw new ArgsError(`needs what to show after the workload: one of ${SECTIONS.join(', ')}`);
    if (!(SECTIONS as readonly string[]).includes(sectionName)) {
      throw new ArgsError(`unknown section ${JSON.stringify(sectionName)}; allowed: ${SECTIONS.join(', ')}`);
    }
    const section = sectionName as Section;
    const { ApiClient } = await import('../../control-plane/sources/api-client.js');
    const client = await ApiClient.find(o['state-dir']);
    const config = await client.proxyConfig(await resolveProxy(client, workload));
    if (section === 'all') {
      printData(ctx, o.output ?? 'json', config);
      return 0;
    }
    if (o.output) {
      printData(ctx, o.output, dataOf(config, section));
      return 0;
    }
    if (section === 'secret') {
      printSecret(ctx, config);
      return 0;
    }
    printTable(ctx, tableOf(config, section));
    return 0;
  },
};

/**
 * The node id WORKLOAD names: a connected proxy's exact name, else the one proxy whose name
 * starts with `WORKLOAD-`. Several: an error listing them. None: the API says whether it knows it.
 */
export async function resolveProxy(client: ApiClient, workload: string): Promise<string> {
  const names = (await client.proxies()).map((p) => p.nodeId);
  if (names.includes(workload)) return workload;
  const candidates = names.filter((n) => n.startsWith(`${workload}-`));
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) throw new Error(`${workload} names ${candidates.length} proxies (${candidates.join(', ')}); give one of them`);
  return workload;
}

function dataOf(config: ProxyConfig, section: Exclude<Section, 'all'>): unknown {
  const s = config.snapshot;
  switch (section) {
    case 'routes':
      return s.routeConfigs ?? [];
    case 'clusters':
      return (s.clusters ?? []).map(({ endpoints, ...c }) => ({ ...c, endpointCount: endpoints.length }));
    case 'endpoints':
      return (s.clusters ?? []).flatMap((c) => c.endpoints.map((e) => ({ cluster: c.name, ...e })));
    case 'secret':
      return { spiffeId: config.spiffeId, certificate: config.certificate ?? null, trustBundle: config.trustBundle };
  }
}

/** The proxy's certificate, then the roots it was sent (and whether it acknowledged them). */
function printSecret(ctx: CliContext, config: ProxyConfig): void {
  const cert = config.certificate;
  const bundle = config.trustBundle;
  printTable(ctx, [
    ['IDENTITY', 'SERIAL', 'NOT BEFORE', 'NOT AFTER', 'ROOT', 'TRUST ROOTS', 'BUNDLE ACKED'],
    [
      config.spiffeId,
      cert?.serialNumber ?? '-',
      cert?.notBefore ?? '-',
      cert?.notAfter ?? '-',
      cert ? shortFingerprint(cert.rootFingerprint) : '-',
      String(bundle.roots),
      bundle.acknowledged ? 'yes' : 'no',
    ],
  ]);
  ctx.out('');
  printTable(ctx, [
    ['TRUST BUNDLE ROOT (SHA-256)', 'NOT AFTER', 'ISSUED THE CERTIFICATE'],
    ...bundle.certificates.map((r) => [r.fingerprint, r.notAfter, cert?.rootFingerprint === r.fingerprint ? 'yes' : 'no']),
  ]);
}

/** The first four bytes, enough to tell two roots apart at a glance (the full one is in -o json). */
function shortFingerprint(fingerprint: string): string {
  return fingerprint.split(':').slice(0, 4).join(':');
}

function tableOf(config: ProxyConfig, section: Exclude<Section, 'all' | 'secret'>): string[][] {
  const s = config.snapshot;
  switch (section) {
    case 'routes':
      return [
        ['ROUTE CONFIG', 'VIRTUAL HOST', 'DOMAINS', 'ROUTE', 'MATCH', 'DESTINATIONS'],
        ...(s.routeConfigs ?? []).flatMap((rc) =>
          rc.virtualHosts.flatMap((vh) =>
            vh.routes.map((r) => [rc.name, vh.name, domainsText(vh.domains), r.name ?? '-', matchText(r.match), actionText(r)]),
          ),
        ),
      ];
    case 'clusters':
      return [
        ['NAME', 'PROTOCOL', 'LB', 'MTLS', 'ENDPOINTS'],
        ...(s.clusters ?? []).map((c) => [
          c.name,
          c.protocol ?? 'http1',
          c.loadBalancer?.policy ?? 'round_robin',
          c.mtls ? `yes (${c.mtls.subjectAltNames?.join(',') ?? 'any identity of the trust domain'})` : 'no',
          String(c.endpoints.length),
        ]),
      ];
    case 'endpoints':
      return [
        ['CLUSTER', 'ENDPOINT', 'HEALTHY', 'LABELS'],
        ...(s.clusters ?? []).flatMap((c) =>
          c.endpoints.map((e) => [
            c.name,
            `${e.address}:${e.port}`,
            e.healthy === false ? 'no' : 'yes',
            Object.entries(e.labels ?? {})
              .map(([k, v]) => `${k}=${v}`)
              .join(',') || '-',
          ]),
        ),
      ];
  }
}

function domainsText(domains: readonly string[]): string {
  return domains.length <= 2 ? domains.join(',') : `${domains.slice(0, 2).join(',')} +${domains.length - 2} more`;
}

function stringMatchText(m: StringMatch): string {
  if ('exact' in m) return m.exact;
  if ('prefix' in m) return `${m.prefix}*`;
  if ('suffix' in m) return `*${m.suffix}`;
  return `~${m.regex}`;
}

function headerText(h: HeaderMatch): string {
  const not = h.invert ? '!' : '';
  if (h.value) return `${not}${h.name}=${stringMatchText(h.value)}`;
  return h.present === false ? `!${h.name}` : `${not}${h.name}`;
}

function matchText(m: RouteMatch | undefined): string {
  if (m === undefined) return '*';
  const parts: string[] = [];
  if (m.methods) parts.push(m.methods.join('|'));
  if (m.path) parts.push(`path ${stringMatchText(m.path)}${m.ignoreCase ? ' (any case)' : ''}`);
  for (const h of m.headers ?? []) parts.push(`header ${headerText(h)}`);
  for (const q of m.queryParams ?? []) parts.push(`query ${q.name}${q.value ? `=${stringMatchText(q.value)}` : ''}`);
  return parts.length === 0 ? '*' : parts.join(' ');
}

function actionText(r: Route): string {
  if (r.forward) {
    const many = r.forward.destinations.length > 1;
    return r.forward.destinations.map((d) => `${d.cluster}${d.subset ? `/${d.subset}` : ''}${many ? `@${d.weight ?? 1}` : ''}`).join(',');
  }
  if (r.redirect) return `redirect ${r.redirect.status ?? 301}`;
  if (r.direct) return `direct ${r.direct.status}`;
  return '-';
}

/** Columns padded to their widest cell; the first row is the header. */
export function printTable(ctx: CliContext, rows: readonly (readonly string[])[]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  rows.forEach((r) => ctx.out(r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd()));
}
