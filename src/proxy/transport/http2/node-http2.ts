// node:http2, loaded on first use. Importing it pulls in ~70 of Node's internal modules (http,
// tls, assert, fs/promises, readline helpers…), about 1 MB of a proxy's memory, while many
// proxies never speak HTTP/2: a file-mode sidecar with HTTP/1 listeners and clusters only.
// Everything in the proxy that needs a value from node:http2 (not only its types) goes through
// here, so the module loads with the first HTTP/2 connection, in or out.
// `test/e2e/proxy-memory-modules.test.ts` checks that an HTTP/1-only proxy never loads it.
import { createRequire } from 'node:module';

type NodeHttp2 = typeof import('node:http2');

let loaded: NodeHttp2 | undefined;

export function nodeHttp2(): NodeHttp2 {
  // createRequire: a synchronous load (the request path cannot wait for `await import()`).
  return (loaded ??= createRequire(import.meta.url)('node:http2') as NodeHttp2);
}
