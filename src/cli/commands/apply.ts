// `maille apply -f FILE`: sends Istio / Gateway API YAML to the running control plane, which
// validates every document before changing anything; prints what each resource became.
import { readFileSync } from 'node:fs';
import { formatOptions, parseArgs, type OptionSpecs } from '../args.js';
import type { Command } from '../command.js';

const options = {
  file: { type: 'string', valueName: 'FILE', short: 'f', required: true, description: 'YAML with one or more resources (- reads stdin)' },
  'state-dir': { type: 'string', valueName: 'DIR', default: '.maille', description: 'state directory of the running maille run' },
} as const satisfies OptionSpecs;

export const command: Command = {
  help: () => ['usage: maille apply -f FILE [--state-dir DIR]', '', 'Applies resources to the running control plane: all of them, or none if one is invalid.', '', ...formatOptions(options)],

  async run(argv, ctx) {
    const { options: o } = parseArgs(argv, options);
    let text: string;
    try {
      text = readFileSync(o.file === '-' ? 0 : o.file, 'utf8');
    } catch (err) {
      throw new Error(`${o.file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const { ApiClient } = await import('../../control-plane/sources/api-client.js');
    const client = await ApiClient.find(o['state-dir']);
    const results = await client.apply(text, o.file === '-' ? 'stdin' : o.file);
    for (const r of results) ctx.out(`${r.kind.toLowerCase()}/${r.namespace}/${r.name} ${r.action}`);
    return 0;
  },
};
