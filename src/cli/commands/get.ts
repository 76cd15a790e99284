// `maille get KIND [NAME] [-n NS] [-o yaml|json]`: the resources the running control plane serves,
// as kubectl shows them: a table, or the resources themselves (a List, or the one named).
import { kindArg } from '../kind-arg.js';
import { ArgsError, formatOptions, outputOption, parseArgs, type OptionSpecs } from '../args.js';
import type { Command } from '../command.js';
import { printData } from '../output.js';

const options = {
  namespace: { type: 'string', valueName: 'NS', short: 'n', description: 'only this namespace (default: all)' },
  output: outputOption,
  'state-dir': { type: 'string', valueName: 'DIR', default: '.maille', description: 'state directory of the running maille run' },
} as const satisfies OptionSpecs;

export const command: Command = {
  help: () => [
    'usage: maille get KIND [NAME] [-n NS] [-o json|yaml] [--state-dir DIR]',
    '',
    'Lists resources of a kind (VirtualService, virtualservices or vs…) from the running control plane.',
    'ORIGIN says whether a resource comes from the mesh file or maille apply.',
    '',
    ...formatOptions(options),
  ],

  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, options, { maxPositionals: 2 });
    const [kindName, name] = positionals;
    if (kindName === undefined) throw new ArgsError('needs a KIND, e.g. maille get virtualservices');
    const kind = kindArg(kindName);
    const { ApiClient } = await import('../../control-plane/sources/api-client.js');
    const client = await ApiClient.find(o['state-dir']);
    const items = await client.list({ kind: kind.kind, namespace: o.namespace, name });
    const label = kind.kind.toLowerCase();
    if (name !== undefined && items.length === 0) throw new Error(`${label} ${o.namespace ? `${o.namespace}/` : ''}${name} not found`);
    if (o.output) {
      // kubectl's shapes, so the output can be applied again as is.
      const resources = items.map((i) => i.resource);
      printData(ctx, o.output, name !== undefined && resources.length === 1 ? resources[0] : { apiVersion: 'v1', kind: 'List', items: resources });
      return 0;
    }
    if (items.length === 0) {
      ctx.err(`no ${kind.plural} found${o.namespace ? ` in namespace ${o.namespace}` : ''}`);
      return 0;
    }
    const rows = [['NAMESPACE', 'NAME', 'ORIGIN'], ...items.map((i) => [i.resource.metadata.namespace ?? 'default', i.resource.metadata.name, i.origin])];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    rows.forEach((r) => ctx.out(r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd()));
    return 0;
  },
};
