// `maille proxy`: runs the data plane from a snapshot file, reloads it when the file changes and
// drains on SIGTERM/SIGINT.
//
// Prints one line per bound listener and one for the admin listener on stdout
// (`listener <name> <address>:<port>`, `admin <address>:<port>`): with port 0 in the config those
// lines are the only way a script or test learns the ports. Startup errors are `maille: …` lines
// on stderr; once running, events go through the proxy's logger (stderr, with timestamps).
import type { ProxyHandle, ProxyOptions } from '../../proxy/app/proxy.js';
import { DEFAULT_LISTENER_ADDRESS } from '../../proxy/config/semantic-checks.js';
import { ConfigError } from '../../proxy/config/config-error.js';
import { readSnapshotFile, type LoadedSnapshot } from '../../proxy/config/load-file.js';
import { watchSnapshotFile } from '../../proxy/config/watch-file.js';
import { createLogger } from '../../proxy/telemetry/log.js';
import { ArgsError, formatOptions, parseArgs, type OptionSpecs } from '../args.js';
import type { CliContext, Command, SignalSource } from '../command.js';

const log = createLogger('config');
const lifecycle = createLogger('proxy');
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const options = {
  config: {
    type: 'string',
    valueName: 'FILE',
    description: 'snapshot to serve, YAML or JSON; reloaded when it changes',
  },
  'control-plane': { type: 'string', valueName: 'HOST:PORT', description: 'get identity and snapshots from this control plane instead of --config' },
  'bootstrap-token-file': { type: 'string', valueName: 'FILE', description: 'with --control-plane: the token that obtains the first certificate' },
  'trust-bundle': { type: 'string', valueName: 'FILE', description: "with --control-plane: the mesh's root certificates (PEM)" },
  'trust-domain': { type: 'string', valueName: 'DOMAIN', default: 'cluster.local', description: 'with --control-plane: the SPIFFE trust domain' },
  node: { type: 'string', valueName: 'FILE', description: 'with --control-plane: who this proxy is (JSON: id, namespace, serviceAccount, labels, addresses)' },
  'admin-port': { type: 'integer', valueName: 'N', min: 0, max: 65535, default: 15000, description: 'admin port; 0 picks a free one' },
  'admin-address': { type: 'string', valueName: 'ADDR', default: '127.0.0.1', description: 'admin address; keep it loopback' },
  'log-level': { type: 'string', choices: LOG_LEVELS, default: 'info', description: 'least severe messages logged' },
} as const satisfies OptionSpecs;

export interface ProxySettings {
  config: string;
  adminPort: number;
  adminAddress: string;
  logLevel: LogLevel;
}

export type StartProxy = (opts: ProxyOptions) => Promise<ProxyHandle>;

export const command: Command = {
  help: () => [
    'usage: maille proxy --config FILE [options]',
    '',
    'Runs a proxy from a snapshot file (listeners, routes, clusters), reloading it when it changes.',
    'A change that fails validation is reported and the last good snapshot keeps serving.',
    '',
    ...formatOptions(options),
  ],

  async run(argv, ctx) {
    const { options: o } = parseArgs(argv, options);
    const cp = o['control-plane'];
    if ((o.config === undefined) === (cp === undefined)) throw new ArgsError('give exactly one of --config FILE, --control-plane HOST:PORT');
    if (cp !== undefined) {
      const { runControlPlaneProxy } = await import('./proxy-control-plane.js');
      return runControlPlaneProxy(
        {
          controlPlane: cp,
          tokenFile: required(o['bootstrap-token-file'], 'bootstrap-token-file'),
          trustBundleFile: required(o['trust-bundle'], 'trust-bundle'),
          trustDomain: o['trust-domain'],
          nodeFile: required(o.node, 'node'),
          adminPort: o['admin-port'],
          adminAddress: o['admin-address'],
          logLevel: o['log-level'],
        },
        ctx,
      );
    }
    return runProxy({ config: o.config!, adminPort: o['admin-port'], adminAddress: o['admin-address'], logLevel: o['log-level'] }, ctx);
  },
};

// Loaded only once the config is known good: a config error is reported without loading the
// whole data plane.
const loadStartProxy: StartProxy = async (opts) => (await import('../../proxy/app/proxy.js')).startProxy(opts);

/** The command's body; `start` is replaceable so tests can check the wiring without sockets. */
export async function runProxy(settings: ProxySettings, ctx: CliContext, start: StartProxy = loadStartProxy): Promise<number> {
  let loaded: LoadedSnapshot;
  try {
    loaded = await readSnapshotFile(settings.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    err.problems.forEach((line) => ctx.err(`maille: ${line}`));
    return 1;
  }

  const { snapshot } = loaded;
  const handle = await start({
    snapshot,
    adminPort: settings.adminPort,
    adminAddress: settings.adminAddress,
    logLevel: settings.logLevel,
  });
  const stop = nextSignal(ctx.signals);

  for (const l of snapshot.listeners) {
    const port = handle.listenerPorts.get(l.name) ?? l.port;
    ctx.out(`listener ${l.name} ${hostPort(l.address ?? DEFAULT_LISTENER_ADDRESS, port)}`);
  }
  ctx.out(`admin ${hostPort(settings.adminAddress, handle.adminPort)}`);

  let version = snapshot.version;
  const watcher = watchSnapshotFile(
    settings.config,
    {
      onSnapshot(next) {
        // The proxy logs the outcome ("snapshot applied" or why not) once it has swapped.
        log.debug('file changed; applying', { file: settings.config, version: next.version });
        void handle.applySnapshot(next).then((r) => {
          if (r.applied) version = next.version;
          else log.error(`not applied: ${r.error}`, { file: settings.config, serving: version });
        });
      },
      onError(err) {
        for (const line of err.problems) log.error(`rejected: ${line}`, { serving: version });
      },
    },
    { lastHash: loaded.hash },
  );

  const signal = await stop.promise;
  watcher.close();
  lifecycle.info(`${signal}: draining`);
  // A second signal means "now": the operator does not want to wait for the drain.
  const again = nextSignal(ctx.signals);
  const outcome = await Promise.race([handle.drain().then(() => 'drained' as const), again.promise]);
  again.cancel();
  if (outcome !== 'drained') {
    lifecycle.error(`${outcome} again: exiting before the drain finished`);
    return 1;
  }
  lifecycle.info('drained');
  return 0;
}

type Signal = 'SIGTERM' | 'SIGINT';

export function nextSignal(signals: SignalSource): { promise: Promise<Signal>; cancel(): void } {
  let cancel = (): void => undefined;
  const promise = new Promise<Signal>((resolve) => {
    const onTerm = (): void => finish('SIGTERM');
    const onInt = (): void => finish('SIGINT');
    cancel = () => {
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
    };
    const finish = (s: Signal): void => {
      cancel();
      resolve(s);
    };
    signals.once('SIGTERM', onTerm);
    signals.once('SIGINT', onInt);
  });
  return { promise, cancel };
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new ArgsError(`--${name} is required with --control-plane`);
  return value;
}
