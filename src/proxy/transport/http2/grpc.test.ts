// A real gRPC client (@grpc/grpc-js) against serveHttp2, whose handler answers by hand: the
// length-prefixed message format and grpc-status trailers are what gRPC libraries insist on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { HeaderList } from '../../http/headers.js';
import type { DownstreamRequest, DownstreamResponse } from '../../http/exchange.js';
import { collect, startServer, type TestServer } from './testing.js';

/** gRPC message framing: 1 byte "compressed" flag, 4 bytes big-endian length, the message. */
function frame(msg: Buffer): Buffer {
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, 5);
  return out;
}

function grpcHead(res: DownstreamResponse): void {
  const h = new HeaderList();
  h.add('content-type', 'application/grpc');
  res.writeHead({ status: 200, headers: h, encoding: 'plain', length: undefined });
}

/**
 * grpc-message is percent-encoded only outside printable ASCII, and '%' itself (gRPC's HTTP/2
 * spec). encodeURIComponent would also encode '/' and ':', which clients then show verbatim.
 */
function grpcMessage(s: string): string {
  return s.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}

function status(code: number, message?: string): HeaderList {
  const t = new HeaderList();
  t.add('grpc-status', String(code));
  if (message !== undefined) t.add('grpc-message', grpcMessage(message));
  return t;
}

async function handle(req: DownstreamRequest, res: DownstreamResponse): Promise<void> {
  const { data } = await collect(req.body);
  const msg = data.subarray(5).toString();
  switch (req.path) {
    case '/test.Echo/Echo':
      grpcHead(res);
      res.body.data(frame(Buffer.from(`echo:${msg}`)));
      res.body.end(status(0));
      return;
    case '/test.Echo/Fail':
      // Error after a head: status in the trailers.
      grpcHead(res);
      res.body.end(status(5, `no user ${msg}`));
      return;
    case '/test.Echo/Count': {
      grpcHead(res);
      const n = Number(msg);
      for (let i = 1; i <= n; i++) res.body.data(frame(Buffer.from(String(i))));
      res.body.end(status(0));
      return;
    }
    default: {
      // Trailers-only, as the proxy's own errors go out (local-reply.ts).
      const h = status(12, `unknown method ${req.path}`);
      h.add('content-type', 'application/grpc');
      res.writeHead({ status: 200, headers: h, encoding: undefined, length: undefined });
      res.body.end();
    }
  }
}

let srv: TestServer;
let client: grpc.Client;
const identity = (b: Buffer): Buffer => b;

async function start(): Promise<void> {
  if (client) return;
  srv = await startServer((req, res) => void handle(req, res));
  client = new grpc.Client(`127.0.0.1:${srv.port}`, grpc.credentials.createInsecure());
}

after(async () => {
  client?.close();
  await srv?.close();
});

function unary(method: string, msg: string, metadata = new grpc.Metadata()): Promise<{ err: grpc.ServiceError | null; value: Buffer | undefined }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, identity, identity, Buffer.from(msg), metadata, (err, value) => resolve({ err, value }));
  });
}

test('grpc-js unary call: message framing and grpc-status 0 in trailers', async () => {
  await start();
  const { err, value } = await unary('/test.Echo/Echo', 'hello');
  assert.equal(err, null);
  assert.equal(value!.toString(), 'echo:hello');
});

test('grpc-js sees a status from trailers after the head', async () => {
  await start();
  const { err } = await unary('/test.Echo/Fail', 'bob');
  assert.equal(err?.code, grpc.status.NOT_FOUND);
  assert.equal(err?.details, 'no user bob');
});

test('grpc-js sees a trailers-only status (how the proxy answers gRPC callers itself)', async () => {
  await start();
  const { err } = await unary('/test.Echo/Nope', '');
  assert.equal(err?.code, grpc.status.UNIMPLEMENTED);
  assert.equal(err?.details, 'unknown method /test.Echo/Nope');
  assert.equal(grpcMessage('100% sûr\n'), '100%25 s%C3%BBr%0A');
});

test('grpc-js server streaming: many messages, then the status', async () => {
  await start();
  const call = client.makeServerStreamRequest('/test.Echo/Count', identity, identity, Buffer.from('50'), new grpc.Metadata());
  const got: string[] = [];
  call.on('data', (b: Buffer) => got.push(b.toString()));
  const st = await new Promise<grpc.StatusObject>((r) => call.on('status', r));
  call.on('error', () => {});
  assert.equal(st.code, grpc.status.OK);
  assert.equal(got.length, 50);
  assert.equal(got[49], '50');
});

test('concurrent grpc-js calls multiplex on one connection', async () => {
  await start();
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => unary('/test.Echo/Echo', String(i))));
  results.forEach((r, i) => assert.equal(r.value?.toString(), `echo:${i}`));
  assert.equal(srv.connections.length, 1);
});
