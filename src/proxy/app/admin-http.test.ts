import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { ADMIN_HTTP_DEFAULTS, createAdminHttpServer, type AdminHttpServer, type AdminRequest } from './admin-http.js';

const seen: AdminRequest[] = [];
let admin: AdminHttpServer;
let port: number;

before(async () => {
  admin = createAdminHttpServer(
    (req) => {
      seen.push(req);
      if (req.target === '/boom') throw new Error('no luck');
      if (req.target === '/utf8') return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'naïve → ok\n' };
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: `${req.method} ${req.target}\n` };
    },
    { ...ADMIN_HTTP_DEFAULTS, maxHeadBytes: 1024, maxHeaderCount: 5, headTimeoutMs: 300, maxBodyBytes: 100 },
  );
  await new Promise<void>((resolve) => admin.server.listen(0, '127.0.0.1', resolve));
  port = (admin.server.address() as net.AddressInfo).port;
});

after(() => admin.close());

/** Sends raw bytes; resolves with everything the server wrote until it closed (or after keepOpenMs). */
function exchange(raw: string, opts: { keepOpenMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, opts.keepOpenMs ?? 3000);
    s.setEncoding('latin1');
    s.on('data', (d: string) => (got += d));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.on('error', reject);
    s.write(raw);
  });
}

function statuses(text: string): number[] {
  return [...text.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]));
}

test('answers pipelined keep-alive requests in order and closes on Connection: close', async () => {
  const out = await exchange(
    'GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' + 'HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n' + 'GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  assert.deepEqual(statuses(out), [200, 200, 200]);
  assert.match(out, /content-length: 7\r\ndate: [^\r]+\r\nconnection: keep-alive\r\n\r\nGET \/a\n/);
  // HEAD: same content-length, no body, next response follows at once.
  assert.match(out, /content-length: 8\r\ndate: [^\r]+\r\nconnection: keep-alive\r\n\r\nHTTP\/1\.1 200 OK/);
  assert.ok(out.endsWith('connection: close\r\n\r\nGET /c\n'), out);
});

test('skips a request body and reads the request after it; headers are lower-case, repeats joined', async () => {
  seen.length = 0;
  const out = await exchange(
    'POST /p?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello' + 'GET /q HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  assert.deepEqual(statuses(out), [200, 200]);
  assert.equal(seen[0].target, '/p?x=1');
  assert.equal(seen[0].headers.get('x-a'), '1, 2');
  assert.equal(seen[1].target, '/q');
});

test('HTTP/1.0 closes after the reply unless keep-alive is asked for', async () => {
  const out = await exchange('GET /old HTTP/1.0\r\n\r\n');
  assert.deepEqual(statuses(out), [200]);
  assert.match(out, /connection: close\r\n/);
});

test('refuses what it cannot serve with a status and a sentence, then closes', async () => {
  const cases: Array<[string, number, RegExp]> = [
    ['GARBAGE\r\n\r\n', 400, /malformed request line/],
    ['GET / HTTP/1.1\r\n\r\n', 400, /exactly one Host/],
    ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, /exactly one Host/],
    ['GET / HTTP/1.1\r\nHost: a\r\n bad fold\r\n\r\n', 400, /malformed header field line 2/],
    ['GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505, /HTTP\/2\.0 is not supported/],
    ['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 411, /transfer-encoding/],
    ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n', 413, /101 bytes is over 100/],
    ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n', 400, /content-length "-1"/],
    ['GET / HTTP/1.1\r\nHost: a\r\n' + 'a: b\r\n'.repeat(6) + '\r\n', 431, /more than 5 header fields/],
    ['GET /' + 'x'.repeat(2000) + ' HTTP/1.1\r\n', 431, /request head over 1024 bytes/],
    ['GET /boom HTTP/1.1\r\nHost: a\r\n\r\n', 500, /^admin: \/boom failed: no luck$/m],
  ];
  for (const [raw, status, sentence] of cases) {
    const out = await exchange(raw);
    assert.deepEqual(statuses(out), [status], raw);
    assert.match(out, /connection: close\r\n/);
    assert.match(out, sentence, raw);
  }
});

test('a request head that does not complete in time gets 408 (slowloris)', async () => {
  const out = await exchange('GET / HTTP/1.1\r\nHost: a\r\n');
  assert.deepEqual(statuses(out), [408]);
  assert.match(out, /not complete within 300 ms/);
});

test('curl gets an answer', async () => {
  const body = await new Promise<string>((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${port}/from-curl`], (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.equal(body, 'GET /from-curl\n');
});

test('a body beyond latin1 goes out as UTF-8, and content-length counts its bytes', async () => {
  const out = Buffer.from(await exchange('GET /utf8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 'latin1');
  const headEnd = out.indexOf('\r\n\r\n');
  const length = Number(/content-length: (\d+)/.exec(out.toString('latin1', 0, headEnd))?.[1]);
  const body = out.subarray(headEnd + 4);
  assert.equal(body.toString('utf8'), 'naïve → ok\n');
  assert.equal(body.length, length);
});
