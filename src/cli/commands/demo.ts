// `maille demo`: runs the bundled demo mesh — productpage calling three versions of reviews (which call ratings), each
// with its sidecar, configured by the control plane from Istio YAML (canary split, header route,
// retries, outlier detection) — and a traffic generator printing what each version served.
// Ctrl-C stops everything.
import { formatOptions, parseArgs, type OptionSpecs } from '../args.js';
import type { Command } from '../command.js';

const options = {
  'control-plane-port': { type: 'integer', valueName: 'N', min: 0, max: 65535, default: 15012, description: 'discovery and CA port; 0 picks a free one' },
  'state-dir': { type: 'string', valueName: 'DIR', description: 'CA and run files (default: a new temporary directory)' },
  rps: { type: 'integer', valueName: 'N', min: 1, max: 5000, default: 20, description: 'requests per second of generated traffic' },
  duration: { type: 'integer', valueName: 'SECONDS', min: 0, default: 0, description: 'stop after this long; 0 runs until Ctrl-C' },
} as const satisfies OptionSpecs;

export const command: Command = {
  help: () => ['usage: maille demo [options]', '', 'Runs the demo mesh (productpage → reviews v1/v2/v3 → ratings) with generated traffic.', '', ...formatOptions(options)],

  async run(argv, ctx) {
    const { options: opts } = parseArgs(argv, options);
    const { runDemo } = await import('../../demo/mesh-demo.js');
    let onSignal: () => void = () => {};
    const stop = new Promise<void>((resolve) => (onSignal = resolve));
    ctx.signals.once('SIGINT', onSignal);
    ctx.signals.once('SIGTERM', onSignal);
    try {
      await runDemo({ rps: opts.rps, durationSec: opts.duration, stateDir: opts['state-dir'], controlPlanePort: opts['control-plane-port'], out: (l) => ctx.out(l) }, stop);
    } finally {
      ctx.signals.off('SIGINT', onSignal);
      ctx.signals.off('SIGTERM', onSignal);
    }
    return 0;
  },
};
