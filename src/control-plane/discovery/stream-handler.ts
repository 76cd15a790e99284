// The per-proxy discovery stream: authenticate, read the hello, answer 200, push snapshots, take
// ACKs and NACKs. A refusal before the 200 is an HTTP status with a reason; a protocol error after
// it resets the stream (the proxy reconnects).
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { authenticateCaller, type AuthOptions, type Caller } from './auth.js';
import { DiscoveryError, badRequest, permissionDenied } from './errors.js';
import { replyError } from './http-util.js';
import { LineSplitter } from './ndjson.js';
import { MAX_PROXY_MESSAGE_BYTES, NDJSON, parseProxyMessage, type HelloMessage } from './protocol.js';
import { ProxyConnection } from './proxy-connection.js';
import type { DiscoveryLog, Identity, SnapshotProvider } from './types.js';
import type { NodeInfo } from './protocol.js';

export interface StreamContext {
  auth: Omit<AuthOptions, 'allowToken'>;
  provider: SnapshotProvider;
  log: DiscoveryLog;
  helloTimeoutMs: number;
  /** Live streams by node id; at most one per node. */
  connections: Map<string, ProxyConnection>;
  onConnected(node: NodeInfo, identity: Identity): void;
  onDisconnected(node: NodeInfo): void;
}

export async function handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ctx: StreamContext): Promise<void> {
  const caller = await authenticateCaller(stream, headers, { ...ctx.auth, allowToken: false });
  if (stream.destroyed) return;
  const splitter = new LineSplitter(MAX_PROXY_MESSAGE_BYTES);
  let conn: ProxyConnection | undefined;
  let failed = false;

  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    const refusal = err instanceof DiscoveryError ? err : badRequest((err as Error).message);
    if (conn === undefined) {
      replyError(stream, refusal);
    } else {
      ctx.log.warn('protocol error on discovery stream; resetting it', { node: conn.node.id, error: refusal.message });
      stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
    }
  };
  const helloTimer = setTimeout(() => fail(badRequest(`no hello within ${ctx.helloTimeoutMs} ms`)), ctx.helloTimeoutMs);

  stream.on('data', (chunk: Buffer) => {
    if (failed) return; // drained and dropped until the stream closes
    try {
      for (const line of splitter.push(chunk)) {
        const message = parseProxyMessage(line);
        if (message === undefined) continue; // a newer proxy's message type: ignored (protocol.ts)
        if (conn === undefined) {
          if (message.type !== 'hello') throw badRequest(`first message must be hello, got ${message.type}`);
          clearTimeout(helloTimer);
          conn = accept(stream, message, caller, ctx);
        } else if (message.type === 'hello') {
          throw badRequest('hello sent twice');
        } else {
          conn.onReply(message);
        }
      }
    } catch (err) {
      clearTimeout(helloTimer);
      fail(err);
    }
  });
  stream.on('close', () => {
    clearTimeout(helloTimer);
    if (conn === undefined || ctx.connections.get(conn.node.id) !== conn) return; // never accepted, or replaced
    ctx.connections.delete(conn.node.id);
    ctx.log.info('proxy disconnected', { node: conn.node.id });
    ctx.onDisconnected(conn.node);
  });
}

function accept(stream: ServerHttp2Stream, hello: HelloMessage, caller: Caller, ctx: StreamContext): ProxyConnection {
  const { node } = hello;
  if (node.namespace !== caller.identity.namespace || node.serviceAccount !== caller.identity.serviceAccount) {
    throw permissionDenied(
      `hello says namespace ${node.namespace}, service account ${node.serviceAccount}, but the caller is authenticated as ${caller.spiffeId}`,
    );
  }
  const previous = ctx.connections.get(node.id);
  // A proxy reconnecting (a new certificate, a network blip) replaces its own old stream; a stream
  // of another identity must not be able to knock a proxy off by claiming its node id.
  if (previous !== undefined && previous.caller.spiffeId !== caller.spiffeId) {
    throw permissionDenied(`node id ${node.id} is already connected as ${previous.caller.spiffeId}`);
  }
  stream.respond({ ':status': 200, 'content-type': NDJSON });
  const socket = stream.session?.socket;
  const peer = socket ? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` : '?';
  const lastVersion = Math.max(hello.lastVersion ?? 0, previous?.highestVersion ?? 0);
  // The proxy says which version it holds; if its previous stream sent that one, start from it.
  const resume = hello.heldVersion !== undefined ? previous?.heldSnapshot(hello.heldVersion) : undefined;
  const conn = new ProxyConnection(stream, node, caller, peer, lastVersion, ctx.provider, ctx.log, hello.acceptsDelta === true, resume);
  ctx.connections.set(node.id, conn);
  if (previous !== undefined) previous.stream.close(constants.NGHTTP2_NO_ERROR);
  ctx.log.info('proxy connected', { node: node.id, spiffeId: caller.spiffeId, peer, replaced: previous !== undefined });
  // The registry learns the workload before its first snapshot is computed, so that snapshot can
  // already include it.
  ctx.onConnected(node, caller.identity);
  conn.push();
  return conn;
}
