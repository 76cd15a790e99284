// Http2Pool against real node:http2 and @grpc/grpc-js upstreams on loopback, driven directly
// with a recording TryHandler (no proxy around it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { HeaderList } from '../../http/headers.js';
import type { BodyEncoding, BodySource } from '../../http/exchange.js';
import type { TryControl, TryHandler } from '../../app/upstream-send.js';
import type { OutgoingRequest } from '../../app/upstream-request.js';
import type { EndpointState } from '../types.js';
import { Http2Pool, type Http2PoolSettings } from './http2-pool.js';

const { NGHTTP2_REFUSED_STREAM, NGHTTP2_INTERNAL_ERROR, NGHTTP2_CANCEL } = http2.constants;

// ---------- helpers

interface Outcome {
  kind: 'end' | 'head-only' | 'no-connection' | 'fail';
  status?: number;
  headers?: HeaderList;
  encoding?: string;
  length?: number;
  body: Buffer;
  trailers?: HeaderList;
  interim: number[];
  reason?: string;
  message?: string;
  started?: boolean;
  reused?: boolean;
}

/** A TryHandler that records everything; `done` settles at the try's final event. */
function recorder(opts: { slow?: () => TryControl } = {}): { h: TryHandler; done: Promise<Outcome> } {
  const o: Outcome = { kind: 'end', body: Buffer.alloc(0), interim: [] };
  const chunks: Buffer[] = [];
  let settle!: (o: Outcome) => void;
  const done = new Promise<Outcome>((r) => (settle = r));
  const finish = (kind: Outcome['kind']): void => {
    o.kind = kind;
    o.body = Buffer.concat(chunks);
    settle(o);
  };
  const h: TryHandler = {
    noConnection(reason, message) {
      o.reason = reason;
      o.message = message;
      finish('no-connection');
    },
    interim(status) {
      o.interim.push(status);
    },
    head(status, headers, encoding, length) {
      o.status = status;
      o.headers = headers;
      o.encoding = encoding;
      o.length = length;
      if (encoding === undefined) finish('head-only');
    },
    upgrade() {
      throw new Error('no upgrade expected');
    },
    data(chunk) {
      chunks.push(chunk);
      if (opts.slow) {
        // A slow downstream: pause through the control, resume a moment later.
        const c = opts.slow();
        c.pause();
        setTimeout(() => c.resume(), 1);
      }
      return true;
    },
    end(trailers) {
      o.trailers = trailers;
      finish('end');
    },
    fail(kind, message, started, reused) {
      o.reason = kind;
      o.message = message;
      o.started = started;
      o.reused = reused;
      finish('fail');
    },
  };
  return { h, done };
}

function endpoint(port: number): EndpointState {
  return { key: `127.0.0.1:${port}`, endpoint: { address: '127.0.0.1', port }, weight: 1, active: 0, ejectedUntil: 0, ejections: 0, healthy: true };
}

function request(method: string, path: string, headers: [string, string][] = [], body?: { encoding: BodyEncoding; length: number | undefined }): OutgoingRequest {
  return {
    method,
    path,
    authority: 'upstream.test',
    headers: new HeaderList(headers.map((h) => h[0]), headers.map((h) => h[1])),
    body,
    upgrade: undefined,
  };
}

/** A body source replaying `chunks` with the sink's backpressure. */
function bodyOf(chunks: Buffer[], encoding: BodyEncoding, length: number | undefined): BodySource {
  return {
    encoding,
    length,
    pipe(sink) {
      let i = 0;
      const pump = (): void => {
        while (i < chunks.length) {
          if (!sink.data(chunks[i++])) return sink.onDrain(pump);
        }
        sink.end();
      };
      pump();
    },
    pause() {},
    resume() {},
  };
}

function counters(): { opened: number; closed: number; connOpened(): void; connClosed(): void } {
  return {
    opened: 0,
    closed: 0,
    connOpened() {
      this.opened++;
    },
    connClosed() {
      this.closed++;
    },
  };
}

const SETTINGS: Http2PoolSettings = { maxConnections: 10, connectTimeoutMs: 2000, idleTimeoutMs: 30_000, maxRequestsPerConnection: 0 };

const pools: Http2Pool[] = [];
function newPool(settings: Partial<Http2PoolSettings> = {}, hooks = counters()): Http2Pool {
  const p = new Http2Pool({ ...SETTINGS, ...settings }, hooks);
  pools.push(p);
  return p;
}

type StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
const servers: http2.Http2Server[] = [];

async function upstream(onStream: StreamHandler, settings?: http2.Settings): Promise<{ port: number; server: http2.Http2Server; sessions: number }> {
  const server = http2.createServer({ settings });
  const info = { port: 0, server, sessions: 0 };
  server.on('session', () => info.sessions++);
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {}); // resets we provoke on purpose
    onStream(stream, headers);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  info.port = (server.address() as net.AddressInfo).port;
  servers.push(server);
  return info;
}

function readAll(stream: http2.ServerHttp2Stream): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

after(() => {
  for (const p of pools) p.close();
  for (const s of servers) s.close();
});

// ---------- tests

test('GET: head, body and reuse of one session for sequential requests', async () => {
  const seen: http2.IncomingHttpHeaders[] = [];
  const up = await upstream((stream, headers) => {
    seen.push(headers);
    stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': '5', 'set-cookie': ['a=1', 'b=2'] });
    stream.end('hello');
  });
  const hooks = counters();
  const pool = newPool({}, hooks);
  for (let i = 0; i < 3; i++) {
    const { h, done } = recorder();
    pool.send(endpoint(up.port), request('GET', `/r${i}?q=1`, [['x-request-id', 'abc'], ['te', 'trailers']]), undefined, h);
    const o = await done;
    assert.equal(o.kind, 'end');
    assert.equal(o.status, 200);
    assert.equal(o.encoding, 'plain');
    assert.equal(o.length, 5);
    assert.equal(o.body.toString(), 'hello');
    assert.deepEqual(o.headers!.getAll('set-cookie'), ['a=1', 'b=2']);
    assert.equal(o.headers!.names.some((n) => n.startsWith(':')), false);
  }
  assert.equal(hooks.opened, 1, 'one session for all requests');
  assert.equal(up.sessions, 1);
  assert.equal(seen[2][':path'], '/r2?q=1');
  assert.equal(seen[2][':authority'], 'upstream.test');
  assert.equal(seen[2][':scheme'], 'http');
  assert.equal(seen[2]['x-request-id'], 'abc');
  assert.equal(seen[2]['te'], 'trailers');
});

test('a response that ends with its headers is reported as bodyless (HEAD, 204)', async () => {
  const up = await upstream((stream) => stream.respond({ ':status': 204 }, { endStream: true }));
  const { h, done } = recorder();
  newPool().send(endpoint(up.port), request('DELETE', '/x'), undefined, h);
  const o = await done;
  assert.equal(o.kind, 'head-only');
  assert.equal(o.status, 204);
  assert.equal(o.encoding, undefined);
});

test('1 MB streams both ways with backpressure (slow reader pausing the try)', async () => {
  const up = await upstream(async (stream, headers) => {
    const body = await readAll(stream);
    stream.respond({ ':status': 200, 'x-got': String(body.length), 'x-cl': String(headers['content-length']), 'x-sha': sha(body) });
    // Echo back in 16 KiB pieces.
    for (let i = 0; i < body.length; i += 16384) stream.write(body.subarray(i, i + 16384));
    stream.end();
  });
  const payload = randomBytes(1024 * 1024);
  const chunks: Buffer[] = [];
  for (let i = 0; i < payload.length; i += 10_000) chunks.push(payload.subarray(i, i + 10_000));
  // `control` is read only by data callbacks, which come after send() returned it.
  const { h, done } = recorder({ slow: () => control });
  const control: TryControl = newPool().send(endpoint(up.port), request('POST', '/upload', [], { encoding: 'plain', length: payload.length }), bodyOf(chunks, 'plain', payload.length), h);
  const o = await done;
  assert.equal(o.kind, 'end');
  assert.equal(o.headers!.get('x-got'), String(payload.length));
  assert.equal(o.headers!.get('x-cl'), String(payload.length), 'content-length sent from the body length');
  assert.equal(o.headers!.get('x-sha'), sha(payload));
  assert.equal(o.length, undefined);
  assert.equal(sha(o.body), sha(payload));
});

test('an HTTP/1 chunked-wire body goes out as plain DATA without chunk framing', async () => {
  const up = await upstream(async (stream, headers) => {
    const body = await readAll(stream);
    stream.respond({ ':status': 200, 'x-cl': String(headers['content-length'] ?? 'none') });
    stream.end(body);
  });
  // Framing split at awkward places, with a chunk extension and a trailer.
  const wire = Buffer.from('5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-t: 1\r\n\r\n');
  const pieces = [wire.subarray(0, 3), wire.subarray(3, 12), wire.subarray(12, 20), wire.subarray(20)];
  const { h, done } = recorder();
  newPool().send(endpoint(up.port), request('POST', '/c', [], { encoding: 'chunked-wire', length: undefined }), bodyOf(pieces, 'chunked-wire', undefined), h);
  const o = await done;
  assert.equal(o.body.toString(), 'hello, world');
  assert.equal(o.headers!.get('x-cl'), 'none');
});

test('trailers arrive through end(), as gRPC needs (grpc-js server upstream)', async () => {
  const server = new grpc.Server();
  const identity = (b: Buffer): Buffer => b;
  const def: grpc.ServiceDefinition = {
    echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  };
  server.addService(def, {
    echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      if (call.request.toString() === 'missing') cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      else cb(null, Buffer.concat([Buffer.from('echo:'), call.request]));
    },
  });
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  after(() => server.forceShutdown());
  const pool = newPool();
  const call = async (msg: string): Promise<Outcome> => {
    const m = Buffer.from(msg);
    const frame = Buffer.alloc(5 + m.length);
    frame.writeUInt32BE(m.length, 1);
    m.copy(frame, 5);
    const { h, done } = recorder();
    const out = request('POST', '/test.Echo/Echo', [['content-type', 'application/grpc'], ['te', 'trailers']], { encoding: 'plain', length: frame.length });
    pool.send(endpoint(port), out, bodyOf([frame], 'plain', frame.length), h);
    return done;
  };
  const ok = await call('hi');
  assert.equal(ok.kind, 'end');
  assert.equal(ok.status, 200);
  assert.equal(ok.body.subarray(5).toString(), 'echo:hi');
  assert.equal(ok.trailers?.get('grpc-status'), '0');

  const missing = await call('missing');
  // grpc-js answers errors "trailers-only": one HEADERS frame with END_STREAM.
  assert.equal(missing.kind, 'head-only');
  assert.equal(missing.headers!.get('grpc-status'), String(grpc.status.NOT_FOUND));
  assert.equal(decodeURIComponent(missing.headers!.get('grpc-message')!), 'no such thing');
});

test('connection refused is reported as connect-failure with the endpoint in words', async () => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const hooks = counters();
  const pool = newPool({}, hooks);
  const { h, done } = recorder();
  pool.send(endpoint(port), request('GET', '/'), undefined, h);
  const o = await done;
  assert.equal(o.kind, 'no-connection');
  assert.equal(o.reason, 'connect-failure');
  assert.equal(o.message, `connection refused by 127.0.0.1:${port}`);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(hooks.opened, 1);
  assert.equal(hooks.closed, 1);
  // The failed session left the pool: the next try connects again (and fails again).
  const second = recorder();
  pool.send(endpoint(port), request('GET', '/'), undefined, second.h);
  assert.equal((await second.done).reason, 'connect-failure');
  assert.equal(hooks.opened, 2);
});

test('REFUSED_STREAM is refused-stream; other resets are reset, before or after the head', async () => {
  const up = await upstream((stream, headers) => {
    const p = headers[':path'];
    if (p === '/refuse') stream.close(NGHTTP2_REFUSED_STREAM);
    else if (p === '/reset') stream.close(NGHTTP2_INTERNAL_ERROR);
    else if (p === '/midway') {
      stream.respond({ ':status': 200 });
      // destroy, not close(code): node's close would send END_STREAM first (see stream-reset.ts).
      stream.write('partial', () => setTimeout(() => stream.destroy(new Error('upstream gave up')), 10));
    } else {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    }
  });
  const pool = newPool();
  const ep = endpoint(up.port);
  const run = async (path: string): Promise<Outcome> => {
    const { h, done } = recorder();
    pool.send(ep, request('GET', path), undefined, h);
    return done;
  };
  const refused = await run('/refuse');
  assert.equal(refused.kind, 'fail');
  assert.equal(refused.reason, 'refused-stream');
  assert.equal(refused.started, false);
  assert.equal(refused.reused, false, 'first stream of the session');

  const reset = await run('/reset');
  assert.equal(reset.reason, 'reset');
  assert.equal(reset.message, 'stream reset by upstream (INTERNAL_ERROR)');
  assert.equal(reset.started, false);
  assert.equal(reset.reused, true);

  const midway = await run('/midway');
  assert.equal(midway.reason, 'reset');
  assert.equal(midway.message, 'stream reset by upstream (INTERNAL_ERROR)');
  assert.equal(midway.started, true);
  assert.equal(midway.body.toString(), 'partial');

  assert.equal((await run('/fine')).kind, 'end', 'a stream reset leaves the session usable');
  assert.equal(up.sessions, 1);
});

test('a session that receives GOAWAY leaves the pool; the next request opens another', async () => {
  const up = await upstream((stream) => {
    stream.respond({ ':status': 200 });
    stream.end('ok');
    stream.session?.close(); // GOAWAY after this stream
  });
  const hooks = counters();
  const pool = newPool({}, hooks);
  for (let i = 0; i < 2; i++) {
    const { h, done } = recorder();
    pool.send(endpoint(up.port), request('GET', '/'), undefined, h);
    assert.equal((await done).kind, 'end');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(hooks.opened, 2);
  assert.equal(up.sessions, 2);
});

test('streams past the peer limit go to a second session; at maxConnections they queue', async () => {
  const held: http2.ServerHttp2Stream[] = [];
  const up = await upstream((stream) => {
    held.push(stream);
    if (held.length === 2) {
      for (const s of held.splice(0)) {
        s.respond({ ':status': 200 });
        s.end('ok');
      }
    }
  }, { maxConcurrentStreams: 1 });
  // Let the pool learn the peer's limit on a first exchange.
  const hooks = counters();
  const pool = newPool({}, hooks);
  const warm = recorder();
  pool.send(endpoint(up.port), request('GET', '/warm'), undefined, warm.h);
  await new Promise((r) => setTimeout(r, 50));
  held.splice(0).forEach((s) => {
    s.respond({ ':status': 200 });
    s.end();
  });
  await warm.done;
  await new Promise((r) => setTimeout(r, 20)); // the warm stream's 'close' frees its slot
  const a = recorder();
  const b = recorder();
  pool.send(endpoint(up.port), request('GET', '/a'), undefined, a.h);
  pool.send(endpoint(up.port), request('GET', '/b'), undefined, b.h);
  assert.equal((await a.done).kind, 'end');
  assert.equal((await b.done).kind, 'end');
  assert.equal(hooks.opened, 2, 'second session for the second concurrent stream');

  // maxConnections 1: the second stream waits in nghttp2's queue for the first to finish.
  let served = 0;
  const up2 = await upstream((stream) => {
    served++;
    setTimeout(() => {
      stream.respond({ ':status': 200 });
      stream.end(String(served));
    }, 30);
  }, { maxConcurrentStreams: 1 });
  const hooks2 = counters();
  const pool2 = newPool({ maxConnections: 1 }, hooks2);
  const w = recorder();
  pool2.send(endpoint(up2.port), request('GET', '/warm'), undefined, w.h);
  await w.done;
  const c = recorder();
  const d = recorder();
  pool2.send(endpoint(up2.port), request('GET', '/c'), undefined, c.h);
  pool2.send(endpoint(up2.port), request('GET', '/d'), undefined, d.h);
  assert.equal((await c.done).body.toString(), '2');
  assert.equal((await d.done).body.toString(), '3');
  assert.equal(hooks2.opened, 1);
});

test('maxRequestsPerConnection retires a session after its last stream', async () => {
  const up = await upstream((stream) => {
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  const hooks = counters();
  const pool = newPool({ maxRequestsPerConnection: 2 }, hooks);
  for (let i = 0; i < 4; i++) {
    const { h, done } = recorder();
    pool.send(endpoint(up.port), request('GET', '/'), undefined, h);
    assert.equal((await done).kind, 'end');
  }
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(hooks.opened, 2);
  assert.equal(hooks.closed, 2, 'retired sessions closed once their streams ended');
});

test('abandon cancels the stream upstream and silences the handler', async () => {
  let aborted: Promise<number> | undefined;
  const up = await upstream((stream) => {
    aborted = new Promise((r) => stream.on('close', () => r(stream.rstCode ?? -1)));
    stream.respond({ ':status': 200 });
    stream.write('first');
  });
  const events: string[] = [];
  const h: TryHandler = {
    noConnection: () => events.push('noConnection'),
    interim: () => events.push('interim'),
    head: () => events.push('head'),
    upgrade: () => events.push('upgrade'),
    data: () => {
      events.push('data');
      control.abandon();
      return true;
    },
    end: () => events.push('end'),
    fail: () => events.push('fail'),
  };
  const control: TryControl = newPool().send(endpoint(up.port), request('GET', '/'), undefined, h);
  while (aborted === undefined) await new Promise((r) => setTimeout(r, 5));
  assert.equal(await aborted, NGHTTP2_CANCEL);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(events, ['head', 'data']);
});

test('an idle session closes after idleTimeoutMs', async () => {
  const up = await upstream((stream) => {
    stream.respond({ ':status': 200 });
    stream.end();
  });
  const hooks = counters();
  const pool = newPool({ idleTimeoutMs: 100 }, hooks);
  const { h, done } = recorder();
  pool.send(endpoint(up.port), request('GET', '/'), undefined, h);
  await done;
  assert.equal(hooks.closed, 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(hooks.closed, 1);
});

test('a closed pool refuses new tries', async () => {
  const pool = newPool();
  pool.close();
  const { h, done } = recorder();
  pool.send(endpoint(1), request('GET', '/'), undefined, h);
  const o = await done;
  assert.equal(o.reason, 'connect-failure');
  assert.equal(o.message, 'cluster removed from the configuration');
});
