// HTTP/1.1 on the wire through the proxy: keep-alive, chunked bodies, 100-continue, upgrades,
// pipelining, HEAD, HTTP/1.0, malformed input and abuse limits. Raw sockets and curl as clients.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { proxyFor, snapshotWith, cluster } from '../support/proxy.js';

const run = promisify(execFile);
let up: TestUpstream;
let proxy: Awaited<ReturnType<typeof proxyFor>>;

before(async () => {
  up = await startUpstream('up');
  proxy = await proxyFor(
    snapshotWith([{ forward: { destinations: [{ cluster: 'c' }] } }], [cluster('c', [up.port])], {
      listeners: [
        {
          name: 'http',
          address: '127.0.0.1',
          port: 0,
          protocol: 'http1',
          routeConfig: 'main',
          limits: { maxHeaderBytes: 4096, maxHeaderCount: 50, headerTimeoutMs: 300 },
        },
      ],
    }),
  );
});
after(async () => {
  await proxy.close();
  await up.close();
});

/** Sends raw bytes, collects everything until the server closes or `ms` passes. */
function raw(port: number, data: string | Buffer, ms = 1000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    s.on('data', (c) => (text += c.toString('latin1')));
    s.on('close', () => {
      closed = true;
      clearTimeout(t);
      resolve({ text, closed });
    });
    s.on('error', () => {});
    const t = setTimeout(() => {
      s.destroy();
      resolve({ text, closed });
    }, ms);
    s.write(data);
  });
}

test('keep-alive: two requests on one connection, and pipelined requests answered in order', async () => {
  const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`;
  const r = await raw(proxy.port, req('/one') + req('/two') + `GET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, 2000);
  const order = [...r.text.matchAll(/"url":"(\/\w+)"/g)].map((m) => m[1]);
  assert.deepEqual(order, ['/one', '/two', '/three']);
  assert.equal(r.closed, true, 'Connection: close ends the connection');
});

test('chunked request and response bodies stream through (curl)', async () => {
  const body = 'x'.repeat(200_000);
  // curl sends a chunked upload when told so and fed from stdin.
  const piped = await run('sh', ['-c', `head -c 200000 /dev/zero | tr '\\0' x | curl -s -H 'Transfer-Encoding: chunked' --data-binary @- http://127.0.0.1:${proxy.port}/echo`], { maxBuffer: 1 << 24 });
  assert.equal(piped.stdout.length, body.length);
  assert.equal(piped.stdout, body);
  const big = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://127.0.0.1:${proxy.port}/bytes/3000000`]);
  assert.equal(big.stdout, '200 3000000');
});

test('Expect: 100-continue is relayed and the body follows', async () => {
  const { stdout, stderr } = await run('curl', ['-sv', '-H', 'Expect: 100-continue', '--data-binary', 'y'.repeat(2048), `http://127.0.0.1:${proxy.port}/echo`]);
  assert.match(stderr, /HTTP\/1\.1 100 Continue/);
  assert.equal(stdout, 'y'.repeat(2048));
});

test('HEAD keeps the content-length and sends no body; HTTP/1.0 gets a close-delimited answer', async () => {
  const head = await raw(proxy.port, 'HEAD /bytes/5000 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(head.text, /^HTTP\/1\.1 200 OK/);
  assert.ok(head.text.endsWith('\r\n\r\n'), 'no body after the head');
  const old = await raw(proxy.port, 'GET /bytes/3000 HTTP/1.0\r\nHost: a\r\n\r\n');
  assert.match(old.text, /^HTTP\/1\.1 200 OK/);
  assert.doesNotMatch(old.text, /transfer-encoding: chunked/i);
  assert.equal(old.text.split('\r\n\r\n')[1].length, 3000);
  assert.equal(old.closed, true);
});

test('WebSocket upgrade is tunnelled', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m}`)));
  const wsPort = (wss.address() as { port: number }).port;
  const p = await proxyFor(snapshotWith([{ forward: { destinations: [{ cluster: 'ws' }] } }], [cluster('ws', [wsPort])]));
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${p.port}/chat`);
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const got = new Promise<string>((r) => ws.once('message', (m) => r(String(m))));
    ws.send('hi');
    assert.equal(await got, 'echo:hi');
    ws.close();
  } finally {
    await p.close();
    wss.close();
  }
});

test('malformed requests get 400 and the connection closes', async () => {
  for (const bad of [
    'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n',
    'GET / HTTP/1.1\r\nContent-Length: abc\r\nHost: a\r\n\r\n',
    'GARBAGE\r\n\r\n',
  ]) {
    const r = await raw(proxy.port, bad);
    assert.match(r.text, /^HTTP\/1\.1 400 /, `for ${JSON.stringify(bad)}`);
    assert.match(r.text, /x-maille-error: MAILLE_ERR_BAD_REQUEST/);
    assert.equal(r.closed, true);
  }
  // Bad chunk framing mid-body: 400, the connection closes, and the proxy lives on.
  const badChunk = await raw(proxy.port, 'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n');
  assert.match(badChunk.text, /^HTTP\/1\.1 400 /);
  assert.match(badChunk.text, /request body: malformed chunk size/);
  assert.equal(badChunk.closed, true);
  const noHost = await raw(proxy.port, 'GET / HTTP/1.1\r\n\r\n');
  assert.match(noHost.text, /^HTTP\/1\.1 400 /);
});

test('header limits answer 431 and a slow header sender gets 408', async () => {
  const big = await raw(proxy.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(5000)}\r\n\r\n`);
  assert.match(big.text, /^HTTP\/1\.1 431 /);
  const many = await raw(proxy.port, `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 60 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`);
  assert.match(many.text, /^HTTP\/1\.1 431 /);
  const slow = await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: a\r\n', 2000);
  assert.match(slow.text, /^HTTP\/1\.1 408 /);
  assert.equal(slow.closed, true);
});
