// `maille proxy-status`: every proxy connected to the running control plane, the snapshot
// versions sent and acknowledged, why the last one was refused (NACK), if it was, and what keeps
// an applied one from fully serving (a gateway port another process holds).
import { formatOptions, outputOption, parseArgs, type OptionSpecs } from '../args.js';
import type { Command } from '../command.js';
import { printData } from '../output.js';

const options = {
  output: outputOption,
  'state-dir': { type: 'string', valueName: 'DIR', default: '.maille', description: 'state directory of the running maille run' },
} as const satisfies OptionSpecs;

export const command: Command = {
  help: () => ['usage: maille proxy-status [-o json|yaml] [--state-dir DIR]', '', 'Lists the proxies of the running control plane and their sync state.', '', ...formatOptions(options)],

  async run(argv, ctx) {
    const { options: o } = parseArgs(argv, options);
    const { ApiClient } = await import('../../control-plane/sources/api-client.js');
    const proxies = await (await ApiClient.find(o['state-dir'])).proxies();
    if (o.output) {
      printData(ctx, o.output, proxies);
      return 0;
    }
    if (proxies.length === 0) {
      ctx.err('no proxies connected');
      return 0;
    }
    const rows = [
      ['NAME', 'IDENTITY', 'SENT', 'ACKED', 'STATE', 'LAST NACK'],
      ...proxies.map((p) => [p.nodeId, p.spiffeId, String(p.lastSentVersion ?? '-'), String(p.lastAckedVersion ?? '-'), p.state, p.lastNack ? `v${p.lastNack.version}: ${p.lastNack.error.replace(/\s+/g, ' ')}` : '-']),
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    rows.forEach((r) => ctx.out(r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd()));
    // What an ACK does not say: configuration applied, but part of it cannot serve (a port taken).
    const problems = proxies.flatMap((p) => (p.problems ?? []).map((line) => `${p.nodeId}: ${line}`));
    if (problems.length > 0) ['', 'PROBLEMS', ...problems].forEach((l) => ctx.out(l));
    return 0;
  },
};
