// A real `maille proxy --control-plane` process started with the files the launcher of
// `maille run` writes (token file, node file, trust bundle), for end-to-end tests that run the
// control plane in the test process and the sidecars as processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageInfo } from '../../src/cli/package-info.js';
import type { Sidecar } from './mesh.js';

const BIN = join(packageInfo().root, 'bin/maille.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the sidecar of `s` and resolves once its admin listener is up (it has its first snapshot). */
export async function spawnSidecar(dir: string, cpPort: number, bundleFile: string, s: Sidecar, tokenFile: string): Promise<ChildProcess> {
  const nodeFile = join(dir, `${s.node.id}.json`);
  writeFileSync(nodeFile, JSON.stringify(s.node));
  const child = spawn(
    process.execPath,
    [BIN, 'proxy', '--control-plane', `127.0.0.1:${cpPort}`, '--bootstrap-token-file', tokenFile, '--trust-bundle', bundleFile, '--trust-domain', 'cluster.local', '--node', nodeFile, '--admin-port', '0', '--log-level', 'warn'],
    { cwd: packageInfo().root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('admin ') && resolve());
    child.once('exit', (code) => reject(new Error(`${s.node.id} sidecar exited ${code}`)));
  });
  await Promise.race([ready, sleep(20_000).then(() => Promise.reject(new Error(`${s.node.id} sidecar did not start`)))]);
  return child;
}

/** The same, with the token written to a 0600 file beside the node file first. */
export async function spawnSidecarWithToken(dir: string, cpPort: number, bundleFile: string, s: Sidecar, token: string): Promise<ChildProcess> {
  const tokenFile = join(dir, `${s.node.id}.token`);
  writeFileSync(tokenFile, token, { mode: 0o600 });
  return spawnSidecar(dir, cpPort, bundleFile, s, tokenFile);
}
