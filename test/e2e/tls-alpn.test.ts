// TLS termination on a listener with ALPN: curl over HTTP/2 and HTTP/1.1, openssl s_client, and
// a snapshot whose key file is missing is refused with the listener and file named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startUpstream } from '../support/upstream.js';
import { proxyFor, snapshotWith, cluster } from '../support/proxy.js';

const run = promisify(execFile);

async function selfSigned(): Promise<{ cert: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'maille-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=shop.local', '-addext', 'subjectAltName=DNS:shop.local']);
  return { cert, key };
}

test('a TLS listener serves HTTP/2 and HTTP/1.1 chosen by ALPN', async () => {
  const up = await startUpstream('tls-up');
  const { cert, key } = await selfSigned();
  const base = snapshotWith([{ forward: { destinations: [{ cluster: 'c' }] } }], [cluster('c', [up.port])]);
  const proxy = await proxyFor({ ...base, listeners: [{ ...base.listeners[0], protocol: 'detect', tls: { certFile: cert, keyFile: key } }] });
  try {
    const url = `https://shop.local:${proxy.port}/secure`;
    const resolve = `shop.local:${proxy.port}:127.0.0.1`;
    const h2 = await run('curl', ['-s', '--cacert', cert, '--resolve', resolve, '--http2', '-w', '\n%{http_version} %{http_code}', url]);
    assert.match(h2.stdout, /"url":"\/secure"/);
    assert.match(h2.stdout, /\n2 200$/);
    const h1 = await run('curl', ['-s', '--cacert', cert, '--resolve', resolve, '--http1.1', '-w', '\n%{http_version} %{http_code}', url]);
    assert.match(h1.stdout, /\n1\.1 200$/);
    const seen = JSON.parse(h1.stdout.split('\n')[0]);
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    const s = await run('sh', ['-c', `echo | openssl s_client -connect 127.0.0.1:${proxy.port} -alpn h2 -servername shop.local 2>&1`]);
    assert.match(s.stdout, /ALPN protocol: h2/);
  } finally {
    await proxy.close();
    await up.close();
  }
});

test('a snapshot whose TLS key file is missing is refused, naming the listener and file', async () => {
  const { cert } = await selfSigned();
  const base = snapshotWith([{ direct: { status: 200 } }], []);
  await assert.rejects(
    proxyFor({ ...base, listeners: [{ ...base.listeners[0], tls: { certFile: cert, keyFile: '/nonexistent/key.pem' } }] }),
    /listener http: tls\.keyFile: cannot read \/nonexistent\/key\.pem: ENOENT/,
  );
});
