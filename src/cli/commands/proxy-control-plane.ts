// `maille proxy --control-plane HOST:PORT …`: the proxy as a mesh sidecar or gateway, configured
// by the control plane (part of the `proxy` command; see proxy.ts for the file-driven mode).
import { readFileSync } from 'node:fs';
import type { NodeInfo } from '../../control-plane/discovery/protocol.js';
import { runWithControlPlane } from '../../proxy/app/control-plane-mode.js';
import { createLogger } from '../../proxy/telemetry/log.js';
import type { CliContext } from '../command.js';
import { nextSignal, type LogLevel } from './proxy.js';

const lifecycle = createLogger('proxy');

export interface ControlPlaneProxySettings {
  controlPlane: string;
  tokenFile: string;
  trustBundleFile: string;
  trustDomain: string;
  nodeFile: string;
  adminPort: number;
  adminAddress: string;
  logLevel: LogLevel;
}

function readOrExplain(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function runControlPlaneProxy(s: ControlPlaneProxySettings, ctx: CliContext): Promise<number> {
  const colon = s.controlPlane.lastIndexOf(':');
  const port = Number(s.controlPlane.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--control-plane: expected HOST:PORT (got "${s.controlPlane}")`);
  let node: NodeInfo;
  try {
    node = JSON.parse(readOrExplain(s.nodeFile, 'node description')) as NodeInfo;
  } catch (err) {
    throw new Error(`${s.nodeFile}: ${(err as Error).message}`);
  }
  const run = runWithControlPlane({
    address: s.controlPlane.slice(0, colon),
    port,
    trustBundlePem: readOrExplain(s.trustBundleFile, 'trust bundle'),
    trustDomain: s.trustDomain,
    bootstrapToken: readOrExplain(s.tokenFile, 'bootstrap token').trim(),
    node,
    adminPort: s.adminPort,
    adminAddress: s.adminAddress,
    logLevel: s.logLevel,
  });
  const stop = nextSignal(ctx.signals);
  void run.proxy.then((h) => {
    for (const [name, p] of h.listenerPorts) ctx.out(`listener ${name} ${p}`);
    ctx.out(`admin ${s.adminAddress}:${h.adminPort}`);
  });
  const signal = await stop.promise;
  lifecycle.info(`${signal}: draining`);
  await run.close();
  return 0;
}
