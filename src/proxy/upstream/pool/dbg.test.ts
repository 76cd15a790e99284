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
    const oo = await done; console.log(oo.kind, oo.message, oo.reason, oo.reused);
  }
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(hooks.opened, 2);
  assert.equal(hooks.closed, 2, 'retired sessions closed once their streams ended');
});
