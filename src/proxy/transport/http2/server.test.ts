// serveHttp2 over real sockets, with node:http2 clients. The handler answers directly (no proxy).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { setLogSink } from '../../telemetry/log.js';
import { newConnectionInfo } from '../connection-info.js';
import { serveHttp2 } from './server.js';
import { HeaderList } from '../../http/headers.js';
import type { DownstreamRequest, DownstreamResponse } from '../../http/exchange.js';
import { collect, LIMITS, startServer, type TestServer } from './testing.js';
import type { Http2ExchangeHandler, Http2ServerLimits } from './server.js';

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

const servers: TestServer[] = [];
const clients: http2.ClientHttp2Session[] = [];
after(async () => {
  for (const c of clients) c.destroy();
  for (const s of servers) await s.close();
});

async function setup(handler: Http2ExchangeHandler, limits: Partial<Http2ServerLimits> = {}, sniff = true): Promise<{ srv: TestServer; client: http2.ClientHttp2Session }> {
  const srv = await startServer(handler, limits, sniff);
  servers.push(srv);
  const client = http2.connect(`http://127.0.0.1:${srv.port}`);
  client.on('error', () => {});
  clients.push(client);
  return { srv, client };
}

interface Reply {
  headers: http2.IncomingHttpHeaders;
  flags: number;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders | undefined;
  interim: number[];
}

/** Sends one request and reads the whole reply; rejects if the stream is reset. */
function send(client: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer | Buffer[], trailers?: http2.OutgoingHttpHeaders): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = client.request(headers, { endStream: body === undefined, waitForTrailers: trailers !== undefined });
    const reply: Reply = { headers: {}, flags: 0, body: Buffer.alloc(0), trailers: undefined, interim: [] };
    const chunks: Buffer[] = [];
    req.on('headers', (h) => reply.interim.push(Number(h[':status'])));
    req.on('response', (h, flags) => {
      reply.headers = h;
      reply.flags = flags;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('trailers', (t) => (reply.trailers = t));
    req.on('end', () => {
      reply.body = Buffer.concat(chunks);
      resolve(reply);
    });
    req.on('error', reject);
    req.on('close', () => {
      if (req.rstCode !== 0 && req.rstCode !== undefined) reject(Object.assign(new Error(`reset ${req.rstCode}`), { rstCode: req.rstCode }));
    });
    if (trailers !== undefined) req.on('wantTrailers', () => req.sendTrailers(trailers));
    if (body !== undefined) {
      for (const b of Array.isArray(body) ? body : [body]) req.write(b);
      req.end();
    }
  });
}

function text(res: DownstreamResponse, status: number, body: string, headers = new HeaderList()): void {
  const buf = Buffer.from(body);
  res.writeHead({ status, headers, encoding: 'plain', length: buf.length });
  res.body.data(buf);
  res.body.end();
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('a GET becomes a DownstreamRequest; the response drops HTTP/1 hop-by-hop fields', async () => {
  let seen: DownstreamRequest | undefined;
  const { client } = await setup((req, res) => {
    seen = req;
    const h = new HeaderList();
    h.add('connection', 'keep-alive');
    h.add('keep-alive', 'timeout=5');
    h.add('transfer-encoding', 'chunked');
    h.add('x-app', 'yes');
    h.add('set-cookie', 'a=1');
    h.add('set-cookie', 'b=2');
    text(res, 200, 'hello', h);
  });
  const r = await send(client, { ':method': 'GET', ':path': '/a/b?c=d', ':authority': 'reviews:9080', 'x-custom': 'v', cookie: ['k1=v1', 'k2=v2'] });
  assert.equal(r.headers[':status'], 200);
  assert.equal(r.body.toString(), 'hello');
  assert.equal(r.headers['content-length'], '5');
  assert.equal(r.headers['x-app'], 'yes');
  assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
  for (const f of ['connection', 'keep-alive', 'transfer-encoding']) assert.equal(r.headers[f], undefined, f);
  const req = seen!;
  assert.equal(req.method, 'GET');
  assert.equal(req.path, '/a/b?c=d');
  assert.equal(req.authority, 'reviews:9080');
  assert.equal(req.scheme, 'http');
  assert.equal(req.protocol, 'http2');
  assert.equal(req.body, undefined);
  assert.equal(req.grpc, false);
  assert.equal(req.upgrade, undefined);
  assert.equal(req.conn.protocol, 'http2');
  assert.equal(req.headers.get('x-custom'), 'v');
  assert.equal(req.headers.get('cookie'), 'k1=v1; k2=v2', 'cookie crumbs joined for HTTP/1 upstreams');
  assert.equal(req.headers.names.some((n) => n.startsWith(':')), false, 'no pseudo-headers');
});

test('a connection handed over without sniffed bytes (declared http2 port) works', async () => {
  const { client } = await setup((_req, res) => text(res, 200, 'declared'), {}, false);
  const r = await send(client, { ':path': '/' });
  assert.equal(r.body.toString(), 'declared');
});

test('request body with content-length and trailers both ways (gRPC-shaped)', async () => {
  let got: { data: Buffer; trailers: HeaderList | undefined } | undefined;
  let seen: DownstreamRequest | undefined;
  const { client } = await setup(async (req, res) => {
    seen = req;
    got = await collect(req.body);
    const h = new HeaderList();
    h.add('content-type', 'application/grpc');
    res.writeHead({ status: 200, headers: h, encoding: 'plain', length: undefined });
    res.body.data(Buffer.from([0, 0, 0, 0, 2, 0x6f, 0x6b]));
    const t = new HeaderList();
    t.add('grpc-status', '0');
    t.add('grpc-message', 'fine');
    res.body.end(t);
  });
  const msg = Buffer.from([0, 0, 0, 0, 3, 1, 2, 3]);
  const r = await send(
    client,
    { ':method': 'POST', ':path': '/pkg.Svc/Call', 'content-type': 'application/grpc+proto', te: 'trailers', 'content-length': String(msg.length) },
    msg,
    { 'x-req-trailer': 'rt' },
  );
  assert.equal(seen!.grpc, true);
  assert.equal(seen!.body!.length, msg.length);
  assert.equal(seen!.body!.encoding, 'plain');
  assert.equal(seen!.headers.get('te'), 'trailers');
  assert.deepEqual(got!.data, msg);
  assert.equal(got!.trailers?.get('x-req-trailer'), 'rt');
  assert.equal(r.headers['content-type'], 'application/grpc');
  assert.deepEqual([...r.body], [0, 0, 0, 0, 2, 0x6f, 0x6b]);
  assert.equal(r.trailers?.['grpc-status'], '0');
  assert.equal(r.trailers?.['grpc-message'], 'fine');
});

test('a response without a body goes out as one HEADERS frame (gRPC trailers-only)', async () => {
  const { client } = await setup((_req, res) => {
    const h = new HeaderList();
    h.add('content-type', 'application/grpc');
    h.add('grpc-status', '14');
    h.add('grpc-message', 'no%20healthy%20upstream');
    res.writeHead({ status: 200, headers: h, encoding: undefined, length: undefined });
    res.body.end(); // a no-op after a bodyless head, as local replies do
  });
  const r = await send(client, { ':method': 'POST', ':path': '/x', 'content-type': 'application/grpc' }, Buffer.alloc(0));
  assert.equal(r.flags & http2.constants.NGHTTP2_FLAG_END_STREAM, http2.constants.NGHTTP2_FLAG_END_STREAM);
  assert.equal(r.headers['grpc-status'], '14');
  assert.equal(r.body.length, 0);
});

test('a chunked-wire response body (HTTP/1 framing) reaches the client as plain payload', async () => {
  const { client } = await setup((_req, res) => {
    res.writeHead({ status: 200, headers: new HeaderList(), encoding: 'chunked-wire', length: undefined });
    const wire = Buffer.from('4\r\nwiki\r\n5;x=y\r\npedia\r\n0\r\nx-trailer: 1\r\n\r\n');
    // Split mid-size-line and mid-data, as TCP would.
    res.body.data(wire.subarray(0, 2));
    res.body.data(wire.subarray(2, 11));
    res.body.data(wire.subarray(11));
    res.body.end();
  });
  const r = await send(client, { ':path': '/' });
  assert.equal(r.body.toString(), 'wikipedia');
});

test('1 MB streams both ways through a handler that pipes the request body into the response', async () => {
  const { client } = await setup((req, res) => {
    res.writeHead({ status: 200, headers: new HeaderList(), encoding: 'plain', length: req.body!.length });
    req.body!.pipe(res.body); // backpressure end to end: response window ↔ request reads
  });
  const payload = randomBytes(1024 * 1024);
  const pieces: Buffer[] = [];
  for (let i = 0; i < payload.length; i += 65536) pieces.push(payload.subarray(i, i + 65536));
  const r = await send(client, { ':method': 'PUT', ':path': '/echo', 'content-length': String(payload.length) }, pieces);
  assert.equal(r.headers['content-length'], String(payload.length));
  assert.equal(r.body.length, payload.length);
  assert.equal(sha(r.body), sha(payload));
});

test('an answer sent before the upload ended stops the upload without hanging the stream', async () => {
  let closed!: () => void;
  const streamGone = new Promise<void>((r) => (closed = r));
  const { client } = await setup((req, res) => {
    assert.ok(req.body);
    text(res, 413, 'too big, not reading it');
  });
  const req = client.request({ ':method': 'POST', ':path': '/upload' });
  const chunks: Buffer[] = [];
  let status = 0;
  req.on('response', (h) => (status = Number(h[':status'])));
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('error', () => {});
  req.on('close', () => closed());
  req.write(randomBytes(256 * 1024)); // more than the stream window: the server must not wait for it
  await streamGone;
  assert.equal(status, 413);
  assert.equal(Buffer.concat(chunks).toString(), 'too big, not reading it');
  assert.equal(req.rstCode, http2.constants.NGHTTP2_NO_ERROR);
});

test('trailers sent while the client is still streaming its request still arrive (gRPC early status)', async () => {
  const { client } = await setup((_req, res) => {
    const h = new HeaderList();
    h.add('content-type', 'application/grpc');
    res.writeHead({ status: 200, headers: h, encoding: 'plain', length: undefined });
    const t = new HeaderList();
    t.add('grpc-status', '3');
    t.add('grpc-message', 'bad first message');
    res.body.end(t);
  });
  const req = client.request({ ':method': 'POST', ':path': '/pkg.Svc/Stream', 'content-type': 'application/grpc', te: 'trailers' });
  req.on('error', () => {});
  req.write(Buffer.from([0, 0, 0, 0, 1, 7]));
  const trailers = await new Promise<http2.IncomingHttpHeaders>((r) => req.on('trailers', r));
  req.resume();
  assert.equal(trailers['grpc-status'], '3');
  assert.equal(trailers['grpc-message'], 'bad first message');
  await new Promise<void>((r) => req.on('close', () => r()));
  assert.equal(req.rstCode, http2.constants.NGHTTP2_NO_ERROR, 'the unread upload is stopped with NO_ERROR');
});

test('reset() mid-response is a real RST_STREAM, not a clean end', async () => {
  const { client } = await setup((_req, res) => {
    res.writeHead({ status: 200, headers: new HeaderList(), encoding: 'plain', length: undefined });
    res.body.data(Buffer.from('partial'));
    setTimeout(() => res.reset(), 20);
  });
  await assert.rejects(send(client, { ':path': '/' }), (err: Error & { rstCode?: number }) => {
    assert.equal(err.message, 'Stream closed with error code NGHTTP2_INTERNAL_ERROR');
    return true;
  });
});

test('a client reset calls onDownstreamClose and aborts the request body', async () => {
  let downstreamClosed!: () => void;
  const closedP = new Promise<void>((r) => (downstreamClosed = r));
  let bodyAborted!: (e: Error) => void;
  const abortedP = new Promise<Error>((r) => (bodyAborted = r));
  const { client } = await setup((req, res) => {
    res.onDownstreamClose = downstreamClosed;
    req.body!.pipe({ data: () => true, onDrain: (cb) => cb(), end: () => {}, abort: bodyAborted });
  });
  const req = client.request({ ':method': 'POST', ':path': '/' });
  req.on('error', () => {});
  req.write('some');
  // destroy: a reset with our side still open (close(code) would end the upload cleanly first).
  setTimeout(() => req.destroy(new Error('client gives up')), 20);
  await closedP;
  assert.match((await abortedP).message, /stream closed before the request body ended/);
});

test('writeInterim sends 100 Continue before the final response', async () => {
  const { client } = await setup((_req, res) => {
    res.writeInterim(100, new HeaderList());
    res.writeInterim(103, new HeaderList()); // not relayed
    text(res, 200, 'ok');
  });
  const r = await send(client, { ':method': 'POST', ':path': '/', expect: '100-continue' }, Buffer.from('x'));
  assert.deepEqual(r.interim, [100]);
  assert.equal(r.body.toString(), 'ok');
});

test('SETTINGS announce maxConcurrentStreams; oversized header blocks are refused', async () => {
  const { client } = await setup((_req, res) => text(res, 200, 'ok'), { maxConcurrentStreams: 7, maxHeaderBytes: 1024 });
  await send(client, { ':path': '/' });
  assert.equal(client.remoteSettings.maxConcurrentStreams, 7);
  await assert.rejects(send(client, { ':path': '/', 'x-big': 'x'.repeat(4096) }));
  const ok = await send(client, { ':path': '/' });
  assert.equal(ok.body.toString(), 'ok', 'the connection survives a refused stream');
});

test('a reset flood closes the connection with GOAWAY(ENHANCE_YOUR_CALM)', async () => {
  let handled = 0;
  const { client } = await setup(
    () => {
      handled++; // never answers: every stream is cut by the client
    },
    { maxResetsPerSecond: 20 },
  );
  const goaway = new Promise<number>((r) => client.once('goaway', (code) => r(code)));
  const closed = new Promise<void>((r) => client.once('close', () => r()));
  for (let i = 0; i < 200 && !client.destroyed && !client.closed; i++) {
    const s = client.request({ ':path': `/${i}` });
    s.on('error', () => {});
    s.close(NGHTTP2_CANCEL);
    if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  assert.equal(await goaway, NGHTTP2_ENHANCE_YOUR_CALM);
  await closed;
  assert.ok(handled <= 60, `the flood was cut short (${handled} streams reached the handler)`);
});

test('resets under the limit leave the connection alone', async () => {
  const { client } = await setup((_req, res) => setTimeout(() => text(res, 200, 'ok'), 5), { maxResetsPerSecond: 20 });
  for (let i = 0; i < 10; i++) {
    const s = client.request({ ':path': '/' });
    s.on('error', () => {});
    s.close(NGHTTP2_CANCEL);
  }
  await new Promise((r) => setTimeout(r, 50));
  const r = await send(client, { ':path': '/' });
  assert.equal(r.body.toString(), 'ok');
});

test('drain sends GOAWAY: the stream in flight finishes, then the connection closes', async () => {
  let release!: () => void;
  const { srv, client } = await setup((_req, res) => {
    release = () => text(res, 200, 'finished');
  });
  const inFlight = send(client, { ':path': '/slow' });
  while (release === undefined) await new Promise((r) => setTimeout(r, 5));
  const goaway = new Promise<number>((r) => client.once('goaway', (code) => r(code)));
  const closed = new Promise<void>((r) => client.once('close', () => r()));
  srv.connections[0].drain();
  assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
  release();
  assert.equal((await inFlight).body.toString(), 'finished');
  await closed;
});

test('an idle connection closes after idleTimeoutMs; a busy one does not', async () => {
  let release!: () => void;
  const { client } = await setup(
    (_req, res) => {
      release = () => text(res, 200, 'late');
    },
    { idleTimeoutMs: 100 },
  );
  const closed = new Promise<number>((r) => {
    const t0 = Date.now();
    client.once('close', () => r(Date.now() - t0));
  });
  const slow = send(client, { ':path': '/' });
  await new Promise((r) => setTimeout(r, 250)); // silent for longer than the idle time, but busy
  assert.equal(client.closed || client.destroyed, false);
  release();
  assert.equal((await slow).body.toString(), 'late');
  const after = await closed;
  assert.ok(after >= 250, `closed after going idle (${after} ms)`);
});

test('a handler that throws costs its stream, not the connection, and is logged', async () => {
  const lines: string[] = [];
  setLogSink((l) => lines.push(l));
  try {
    const { client } = await setup((req, res) => {
      if (req.path === '/boom') throw new Error('bug');
      text(res, 200, 'ok');
    });
    await assert.rejects(send(client, { ':path': '/boom' }), /NGHTTP2_INTERNAL_ERROR/);
    assert.equal((await send(client, { ':path': '/' })).body.toString(), 'ok');
  } finally {
    setLogSink(undefined);
  }
  assert.ok(lines.some((l) => l.includes('request handler threw')), lines.join(''));
});

test('over TLS with ALPN h2 (openssl-made certificate), scheme https', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maille-h2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  let scheme = '';
  const server = tls.createServer({ key: readFileSync(key), cert: readFileSync(cert), ALPNProtocols: ['h2'] }, (socket) => {
    const info = newConnectionInfo('tls', 'inbound', socket as net.Socket);
    info.tls = true;
    serveHttp2(socket, undefined, info, LIMITS, (req, res) => {
      scheme = req.scheme;
      text(res, 200, 'secure');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const client = http2.connect(`https://127.0.0.1:${(server.address() as net.AddressInfo).port}`, { ca: readFileSync(cert) });
  clients.push(client);
  const r = await send(client, { ':path': '/' });
  assert.equal(r.body.toString(), 'secure');
  assert.equal(scheme, 'https');
});
