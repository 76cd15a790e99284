// `maille analyze -f FILE [FILE…]`: validates configuration offline and cross-checks it (routes to
// unknown hosts or subsets, policies in conflict, selectors that match nothing). Exit 1 on errors;
// warnings alone exit 0, so it can gate CI.
import { readFileSync } from 'node:fs';
import { ArgsError, formatOptions, outputOption, parseArgs, type OptionSpecs } from '../args.js';
import type { Command } from '../command.js';
import { printData } from '../output.js';

const options = {
  // The parser takes an option once, so further files come as arguments: -f a.yaml b.yaml.
  file: { type: 'string', valueName: 'FILE', short: 'f', description: 'a file to analyze; more files may follow as arguments' },
  output: outputOption,
  'root-namespace': { type: 'string', valueName: 'NS', default: 'istio-system', description: 'namespace of mesh-wide configuration' },
  'trust-domain': { type: 'string', valueName: 'DOMAIN', default: 'cluster.local', description: 'SPIFFE trust domain' },
} as const satisfies OptionSpecs;

export const command: Command = {
  help: () => [
    'usage: maille analyze -f FILE [FILE…] [-o json|yaml]',
    '',
    'Validates resources offline and cross-checks them: routes to unknown hosts or subsets,',
    'resources in conflict, selectors that match no workload, what translate cannot apply.',
    'Checks against services and workloads need the Mesh among the files.',
    'Exits 1 if there is an error; warnings alone exit 0.',
    '',
    ...formatOptions(options),
  ],

  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, options, { maxPositionals: Number.MAX_SAFE_INTEGER });
    const files = [...(o.file !== undefined ? [o.file] : []), ...positionals];
    if (files.length === 0) throw new ArgsError('-f FILE is required');
    const { analyze, formatFinding, summary } = await import('../../control-plane/analyze/index.js');
    const sources: { file: string; text: string }[] = [];
    const unreadable = [];
    for (const file of files) {
      try {
        sources.push({ file, text: readFileSync(file, 'utf8') });
      } catch (err) {
        const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        unreadable.push({ severity: 'error' as const, file, line: null, document: null, resource: null, path: null, message: `cannot read: ${reason}; check the path` });
      }
    }
    const analyzed = analyze(sources, { rootNamespace: o['root-namespace'], trustDomain: o['trust-domain'] });
    // In the order the files were given, an unreadable one in its place.
    const findings = [...unreadable, ...analyzed].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file));
    if (o.output) {
      printData(ctx, o.output, findings);
      // Data on stdout stays parseable; the summary is for the person watching.
      ctx.err(summary(findings));
    } else {
      findings.forEach((f) => ctx.out(formatFinding(f)));
      ctx.out(summary(findings));
    }
    return findings.some((f) => f.severity === 'error') ? 1 : 0;
  },
};
