// Opaque TCP proxying: pick an endpoint of the listener's TCP cluster, connect, splice bytes
// both ways. Used for protocols the proxy does not understand (or is told not to parse). With
// `tls` (mesh mTLS to a meshed destination, as a gateway passing TLS through to a service
// needs) the bytes travel inside a TLS connection the other sidecar terminates.
import { connect, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { nodeTls } from '../transport/node-tls.js';
import type { UpstreamCluster } from './upstream-cluster.js';
import { createLogger } from '../telemetry/log.js';

const log = createLogger('tcp');

export function proxyTcp(down: Socket, initial: Buffer | undefined, cluster: UpstreamCluster | undefined, connectTimeoutMs: number, tls?: ConnectionOptions): void {
  const ep = cluster?.pick(undefined, down.remoteAddress);
  if (!cluster || !ep) {
    log.warn('no endpoint for TCP connection; closing', { cluster: cluster?.name ?? '(none)' });
    down.destroy();
    return;
  }
  ep.active++;
  const target = { host: ep.endpoint.address, port: ep.endpoint.port };
  const up = tls ? nodeTls().connect({ ...tls, ...target }) : connect(target);
  up.setNoDelay(true);
  const timer = setTimeout(() => up.destroy(new Error('connect timeout')), connectTimeoutMs);
  let connected = false;
  up.once(tls ? 'secureConnect' : 'connect', () => {
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
