// node:tls, loaded on first use. Importing it loads six more of Node's internal modules (the TLS
// socket, secure contexts, the OpenSSL bindings' JS side) and touches ~0.7 MB of the node
// binary and heap, while a file-mode proxy with plaintext listeners and clusters never needs it.
// Everything in the proxy that needs a value from node:tls (not only its types) goes through
// here: the first TLS listener, mesh identity or TLS connection upstream loads it.
// `test/e2e/proxy-memory-modules.test.ts` checks that a plaintext HTTP/1 proxy never loads it.
import { createRequire } from 'node:module';

type NodeTls = typeof import('node:tls');

let loaded: NodeTls | undefined;

export function nodeTls(): NodeTls {
  // createRequire: a synchronous load (connection setup cannot wait for `await import()`).
  return (loaded ??= createRequire(import.meta.url)('node:tls') as NodeTls);
}
