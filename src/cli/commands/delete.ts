// `maille delete KIND NAME [-n NS]`: removes an applied resource from the running control plane.
// A resource the mesh file also defines falls back to the file's version.
import { kindArg } from '../kind-arg.js';
import { ArgsError, formatOptions, parseArgs, type OptionSpecs } from '../args.js';
import type { Command } from '../command.js';

const options = {
  namespace: { type: 'string', valueName: 'NS', short: 'n', default: 'default', description: 'namespace of the resource' },
  'state-dir': { type: 'string', valueName: 'DIR', default: '.maille', description: 'state directory of the running maille run' },
} as const satisfies OptionSpecs;

export const command: Command = {
  help: () => ['usage: maille delete KIND NAME [-n NS] [--state-dir DIR]', '', 'Deletes a resource applied with maille apply.', '', ...formatOptions(options)],

  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, options, { maxPositionals: 2 });
    const [kindName, name] = positionals;
    if (name === undefined) throw new ArgsError('needs KIND and NAME, e.g. maille delete virtualservice reviews');
    const kind = kindArg(kindName);
    const { ApiClient } = await import('../../control-plane/sources/api-client.js');
    const client = await ApiClient.find(o['state-dir']);
    const { restored } = await client.delete(kind.kind, o.namespace, name);
    const label = `${kind.kind.toLowerCase()}/${o.namespace}/${name}`;
    ctx.out(restored ? `${label} deleted (the mesh file's version serves again)` : `${label} deleted`);
    return 0;
  },
};
