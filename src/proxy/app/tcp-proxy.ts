// Opaque TCP proxying: pick an endpoint of the listener's TCP cluster, connect, splice bytes
// both ways. Used for protocols the proxy does not understand (or is told not to parse).
import { connect, type Socket } from 'node:net';
import type { UpstreamCluster } from './upstream-cluster.js';
import { createLogger } from '../telemetry/log.js';

const log = createLogger('tcp');

export function proxyTcp(down: Socket, initial: Buffer | undefined, cluster: UpstreamCluster | undefined, connectTimeoutMs: number): void {
  const ep = cluster?.pick(undefined, down.remoteAddress);
  if (!cluster || !ep) {
    log.warn('no endpoint for TCP connection; closing', { cluster: cluster?.name ?? '(none)' });
    down.destroy();
    return;
  }
  ep.active++;
  const up = connect({ host: ep.endpoint.address, port: ep.endpoint.port });
  up.setNoDelay(true);
  const timer = setTimeout(() => up.destroy(new Error('connect timeout')), connectTimeoutMs);
  let connected = false;
  up.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    cluster.record(ep, { kind: 'response', status: 200 });
    if (initial && initial.length > 0) up.write(initial);
    down.pipe(up);
    up.pipe(down);
    down.resume();
  });
  const close = (): void => {
    clearTimeout(timer);
    down.destroy();
    up.destroy();
  };
  up.once('error', (err) => {
    if (!connected) {
      cluster.record(ep, { kind: 'connect-failure' });
      log.warn('TCP upstream connect failed', { endpoint: ep.key, error: err.message });
    }
  });
  up.once('close', close);
  down.once('close', () => {
    ep.active--;
    close();
  });
  down.on('error', () => {});
}
