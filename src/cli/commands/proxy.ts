// `maille proxy`: runs the data plane from a snapshot file, reloads it when the file changes and
// drains on SIGTERM/SIGINT.
//
// Prints one line per bound listener and one for the admin listener on stdout
// (`listener <name> <address>:<port>`, `admin <address>:<port>`): with port 0 in the config those
// lines are the only way a script or test learns the ports. Startup errors are `maille: …` lines
// on stderr; once running, events go through the proxy's logger (stderr, with timestamps).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { uriSansFromAltNames } from '../../control-plane/ca/spiffe.js';
import type { ProxyHandle, ProxyOptions } from '../../proxy/app/proxy.js';
import type { MeshIdentity } from '../../proxy/transport/mesh-identity.js';
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
  'trust-bundle': { type: 'string', valueName: 'FILE', description: "the mesh's root certificates (PEM): with --control-plane, or with --identity-cert" },
  'identity-cert': { type: 'string', valueName: 'FILE', description: 'with --config: this workload\'s certificate chain (PEM, leaf first, one SPIFFE URI SAN) for mesh mTLS' },
  'identity-key': { type: 'string', valueName: 'FILE', description: 'with --config: the private key of --identity-cert (PEM)' },
  'trust-domain': { type: 'string', valueName: 'DOMAIN', default: 'cluster.local', description: 'the SPIFFE trust domain of mesh identities' },
  node: { type: 'string', valueName: 'FILE', description: 'with --control-plane: who this proxy is (JSON: id, namespace, serviceAccount, labels, addresses)' },
  'admin-port': { type: 'integer', valueName: 'N', min: 0, max: 65535, default: 15000, description: 'admin port; 0 picks a free one' },
  'admin-address': { type: 'string', valueName: 'ADDR', default: '127.0.0.1', description: 'admin address; keep it loopback' },
  'log-level': { type: 'string', choices: LOG_LEVELS, default: 'info', description: 'least severe messages logged' },
} as const satisfies OptionSpecs;

/** Files of a mesh identity for file mode (the control plane issues one otherwise). */
export interface IdentityFiles {
  certFile: string;
  keyFile: string;
  trustBundleFile: string;
  trustDomain: string;
}

export interface ProxySettings {
  config: string;
  /** Mesh mTLS identity: needed when the snapshot has an `mtls` listener or cluster. */
  identity?: IdentityFiles;
  adminPort: number;
  adminAddress: string;
  logLevel: LogLevel;
}

export type StartProxy = (opts: ProxyOptions) => Promise<ProxyHandle>;

export const command: Command = {
  help: () => [
    'usage: maille proxy --config FILE [options]',
    '       maille proxy --control-plane HOST:PORT --bootstrap-token-file F --trust-bundle F --node F',
    '',
    'Runs a proxy from a snapshot file (listeners, routes, clusters), reloading it when it changes.',
    'A change that fails validation is reported and the last good snapshot keeps serving.',
    'Mesh mTLS in file mode takes its identity from --identity-cert, --identity-key and --trust-bundle.',
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
    const identity = identityFiles(o['identity-cert'], o['identity-key'], o['trust-bundle'], o['trust-domain']);
    return runProxy({ config: o.config!, adminPort: o['admin-port'], adminAddress: o['admin-address'], logLevel: o['log-level'], ...(identity ? { identity } : {}) }, ctx);
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

  let identity: MeshIdentity | undefined;
  if (settings.identity !== undefined) {
    try {
      identity = await loadIdentity(settings.identity);
    } catch (err) {
      ctx.err(`maille: ${(err as Error).message}`);
      return 1;
    }
  }

  const { snapshot } = loaded;
  const handle = await start({
    snapshot,
    ...(identity ? { identity } : {}),
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

function identityFiles(cert: string | undefined, key: string | undefined, bundle: string | undefined, trustDomain: string): IdentityFiles | undefined {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined || bundle === undefined) {
    throw new ArgsError('--identity-cert, --identity-key and --trust-bundle go together (a mesh identity needs all three)');
  }
  return { certFile: cert, keyFile: key, trustBundleFile: bundle, trustDomain };
}

/** Reads the identity files; an error names the option and file and says what is wrong. */
async function loadIdentity(files: IdentityFiles): Promise<MeshIdentity> {
  const read = async (option: string, file: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new Error(`--${option} ${file}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const certificateChainPem = await read('identity-cert', files.certFile);
  const privateKeyPem = await read('identity-key', files.keyFile);
  const trustBundlePem = await read('trust-bundle', files.trustBundleFile);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certificateChainPem);
  } catch (err) {
    throw new Error(`--identity-cert ${files.certFile}: not a PEM certificate: ${(err as Error).message}`);
  }
  const uris = uriSansFromAltNames(leaf.subjectAltName);
  const prefix = `spiffe://${files.trustDomain}/`;
  if (uris.length !== 1 || !uris[0].startsWith(prefix)) {
    throw new Error(`--identity-cert ${files.certFile}: must carry exactly one URI SAN, a SPIFFE ID of trust domain ${files.trustDomain} (${prefix}…); it has ${uris.length === 0 ? 'none' : uris.join(', ')}`);
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(privateKeyPem))) throw new Error('it is not the key of --identity-cert');
  } catch (err) {
    throw new Error(`--identity-key ${files.keyFile}: ${(err as Error).message}`);
  }
  const { MeshIdentity } = await import('../../proxy/transport/mesh-identity.js');
  try {
    return new MeshIdentity({ certificateChainPem, privateKeyPem, trustBundlePem, trustDomain: files.trustDomain });
  } catch (err) {
    throw new Error(`--trust-bundle ${files.trustBundleFile}: ${(err as Error).message}`);
  }
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new ArgsError(`--${name} is required with --control-plane`);
  return value;
}
