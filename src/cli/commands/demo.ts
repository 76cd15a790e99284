// `maille demo`: runs the bundled demo — three versions of a "reviews" app, a maille proxy in
// front of them with a canary split, a header route, retries and outlier detection, and a
// traffic generator printing what each version served. Ctrl-C stops everything.
import { formatOptions, parseArgs, type OptionSpecs } from '../args.js';
import type { Command } from '../command.js';

const options = {
  port: { type: 'integer', valueName: 'N', min: 0, max: 65535, default: 15001, description: 'where the demo proxy listens; 0 picks a free port' },
  rps: { type: 'integer', valueName: 'N', min: 1, max: 5000, default: 20, description: 'requests per second of generated traffic' },
  duration: { type: 'integer', valueName: 'SECONDS', min: 0, default: 0, description: 'stop after this long; 0 runs until Ctrl-C' },
} as const satisfies OptionSpecs;

export const command: Command = {
  help: () => ['usage: maille demo [options]', '', 'Runs the demo applications behind a maille proxy, with generated traffic.', '', ...formatOptions(options)],

  async run(argv, ctx) {
    const { options: opts, help } = parseArgs(argv, options);
    if (help) {
      this.help().forEach((l) => ctx.out(l));
      return 0;
    }
    const { runStandaloneDemo } = await import('../../demo/standalone.js');
    let onSignal: () => void = () => {};
    const stop = new Promise<void>((resolve) => (onSignal = resolve));
    ctx.signals.once('SIGINT', onSignal);
    ctx.signals.once('SIGTERM', onSignal);
    try {
      await runStandaloneDemo({ port: opts.port, rps: opts.rps, durationSec: opts.duration, out: (l) => ctx.out(l) }, stop);
    } finally {
      ctx.signals.off('SIGINT', onSignal);
      ctx.signals.off('SIGTERM', onSignal);
    }
    return 0;
  },
};
