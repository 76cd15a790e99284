// `maille version`: the version of this build, as text or data.
import { formatOptions, outputOption, parseArgs } from '../args.js';
import type { Command } from '../command.js';
import { printData } from '../output.js';
import { packageInfo } from '../package-info.js';

const options = { output: outputOption };

export const command: Command = {
  help: () => ['usage: maille version [-o json|yaml]', '', 'Prints the version of maille.', '', ...formatOptions(options)],

  async run(argv, ctx) {
    const { options: opts } = parseArgs(argv, options);
    const { version } = packageInfo();
    if (opts.output) printData(ctx, opts.output, { version });
    else ctx.out(`maille ${version}`);
    return 0;
  },
};
