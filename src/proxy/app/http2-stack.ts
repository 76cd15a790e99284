// The HTTP/2 stack (node:http2, our HTTP/2 codec and upstream pool) is loaded only when a
// snapshot can need it: an HTTP/1-only proxy then never pays its ~3 MB of RSS.
//
// `startProxy` and `applySnapshot` preload it before building state from a snapshot that has a
// detecting, HTTP/2 or TLS listener (ALPN may pick h2) or an HTTP/2 cluster, so the request path
// finds it loaded and stays synchronous.
import type { Snapshot } from '../../model/snapshot.js';
import type { serveHttp2 } from '../transport/http2/server.js';
import type { Http2Pool } from '../upstream/pool/http2-pool.js';

export interface Http2Stack {
  serveHttp2: typeof serveHttp2;
  Http2Pool: typeof Http2Pool;
}

let stack: Http2Stack | undefined;
let loading: Promise<Http2Stack> | undefined;

export function loadHttp2Stack(): Promise<Http2Stack> {
  loading ??= Promise.all([import('../transport/http2/server.js'), import('../upstream/pool/http2-pool.js')]).then(([server, pool]) => {
    stack = { serveHttp2: server.serveHttp2, Http2Pool: pool.Http2Pool };
    return stack;
  });
  return loading;
}

/** The stack if it is loaded (undefined: call `loadHttp2Stack` first). */
export function loadedHttp2Stack(): Http2Stack | undefined {
  return stack;
}

export function snapshotNeedsHttp2(s: Snapshot): boolean {
  const listener = s.listeners.some((l) => (l.protocol !== 'http1' && l.protocol !== 'tcp') || l.tls !== undefined || l.mtls !== undefined);
  return listener || (s.clusters ?? []).some((c) => c.protocol === 'http2');
}
