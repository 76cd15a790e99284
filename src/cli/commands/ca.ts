// `maille ca status` and `maille ca rotate-root [--overlap DURATION]`: the running control plane's
// CA. An addition to DESIGN §2's command list: rotating the root is an operator's act on a running
// mesh, and Istio's answer (replace the cacerts secret, restart istiod) has no local-mode equivalent.
import { ArgsError, formatOptions, outputOption, parseArgs, type OptionSpecs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { printData } from '../output.js';
import { printTable } from './proxy-config.js';
import type { CaStatus, RotationResult } from '../../control-plane/sources/api-client.js';

const options = {
  output: outputOption,
  'state-dir': { type: 'string', valueName: 'DIR', default: '.maille', description: 'state directory of the running maille run' },
  overlap: {
    type: 'string',
    valueName: 'DURATION',
    description: 'rotate-root: how long the old root stays trusted, e.g. 48h, 90m, 30s (default 48h; at least the certificate lifetime)',
  },
} as const satisfies OptionSpecs;

const ACTIONS = ['status', 'rotate-root'] as const;

export const command: Command = {
  help: () => [
    'usage: maille ca status|rotate-root [--overlap DURATION] [-o json|yaml] [--state-dir DIR]',
    '',
    "status       the mesh CA's roots: which one signs, their expiry, and when a rotation's overlap ends.",
    'rotate-root  create a new root: both roots are trusted (pushed to every proxy) until the overlap ends;',
    '             new certificates come from the new root, existing ones keep working until renewed.',
    '',
    ...formatOptions(options),
  ],

  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, options, { maxPositionals: 1 });
    const action = positionals[0];
    if (action === undefined) throw new ArgsError(`needs an action: ${ACTIONS.join(' or ')}`);
    if (!(ACTIONS as readonly string[]).includes(action)) throw new ArgsError(`unknown action ${JSON.stringify(action)}; allowed: ${ACTIONS.join(', ')}`);
    if (action === 'status' && o.overlap !== undefined) throw new ArgsError('--overlap applies to rotate-root only');
    const overlapSeconds = o.overlap === undefined ? undefined : parseDuration(o.overlap) / 1000;
    const { ApiClient } = await import('../../control-plane/sources/api-client.js');
    const client = await ApiClient.find(o['state-dir']);
    if (action === 'status') {
      const status = await client.caStatus();
      if (o.output) printData(ctx, o.output, status);
      else printStatus(ctx, status);
      return 0;
    }
    const result = await client.rotateRoot(overlapSeconds);
    if (o.output) printData(ctx, o.output, result);
    else printRotation(ctx, result);
    return 0;
  },
};

/** 48h, 90m, 30s, 1500ms, 2d, or combinations such as 1h30m. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new ArgsError(`--overlap: ${JSON.stringify(text)} is not a duration (e.g. 48h, 90m, 30s, 1h30m)`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
  if (!(ms > 0)) throw new ArgsError('--overlap: must be longer than zero');
  return ms;
}

function printStatus(ctx: CliContext, s: CaStatus): void {
  ctx.out(`trust domain ${s.trustDomain}, ${s.source} CA, workload certificates live ${s.svidTtlSeconds}s`);
  ctx.out(s.overlapEndsAt ? `rotation overlap ends ${s.overlapEndsAt}` : 'no rotation in progress');
  ctx.out(`trust bundle file ${s.trustBundleFile}`);
  printTable(ctx, [
    ['ROOT FINGERPRINT (SHA-256)', 'STATE', 'SIGNS', 'NOT AFTER', 'TRUSTED UNTIL'],
    ...s.roots.map((r) => [r.fingerprint, r.state, r.fingerprint === s.signingRoot ? 'yes' : 'no', r.notAfter, r.trustedUntil ?? r.notAfter]),
  ]);
}

function printRotation(ctx: CliContext, r: RotationResult): void {
  ctx.out(`new root ${r.newRoot.fingerprint} signs new certificates`);
  ctx.out(`old root ${r.previousRoot.fingerprint} stays trusted until ${r.overlapEndsAt}`);
  const p = r.propagation;
  ctx.out(`trust bundle acknowledged by ${p.acknowledged} of ${p.proxies} proxies${p.pending.length > 0 ? ` (not yet: ${p.pending.join(', ')})` : ''}`);
}
