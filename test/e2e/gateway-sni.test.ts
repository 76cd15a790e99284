// Several certificates on one gateway listener, chosen by the client's SNI (as an Istio Gateway
// with one server per host, each with its own credentialName, needs): exact names, `*.suffix`
// wildcards, the listener's own certificate when nothing matches or no name is sent; and a
// missing key file of an SNI entry refuses the snapshot, naming the entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { proxyFor, snapshotWith } from '../support/proxy.js';

const run = promisify(execFile);

async function selfSigned(dir: string, name: string, cn: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${cn}`]);
  return { certFile, keyFile };
}

/** The CN of the certificate the listener presents for `servername` (none: no SNI sent). */
function presented(port: number, servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}) }, () => {
      resolve(String(socket.getPeerCertificate().subject.CN));
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

test('a gateway listener picks its certificate by SNI: exact, wildcard, else its default', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'maille-sni-'));
  const [fallback, shop, wild] = await Promise.all([selfSigned(dir, 'default', 'default.example.com'), selfSigned(dir, 'shop', 'shop.example.com'), selfSigned(dir, 'wild', 'wild')]);
  const base = snapshotWith([{ direct: { status: 200, body: 'ok' } }], []);
  const tls = {
    ...fallback,
    sni: [
      { serverNames: ['shop.example.com', 'store.example.com'], ...shop },
      { serverNames: ['*.apps.example.com'], ...wild },
    ],
  };
  const proxy = await proxyFor({ ...base, listeners: [{ ...base.listeners[0], direction: 'gateway', protocol: 'detect', tls }] });
  try {
    assert.equal(await presented(proxy.port, 'shop.example.com'), 'shop.example.com');
    assert.equal(await presented(proxy.port, 'STORE.example.com'), 'shop.example.com');
    assert.equal(await presented(proxy.port, 'a.apps.example.com'), 'wild');
    // A wildcard matches one label only, as Istio's and Envoy's server names do.
    assert.equal(await presented(proxy.port, 'a.b.apps.example.com'), 'default.example.com');
    assert.equal(await presented(proxy.port, 'other.example.com'), 'default.example.com');
    assert.equal(await presented(proxy.port, undefined), 'default.example.com');
    // And HTTP flows over the chosen one.
    const { stdout } = await run('curl', ['-sk', '--resolve', `shop.example.com:${proxy.port}:127.0.0.1`, `https://shop.example.com:${proxy.port}/`]);
    assert.equal(stdout, 'ok');
  } finally {
    await proxy.close();
  }
});

test('an SNI entry whose key file is missing refuses the snapshot, naming the entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'maille-sni-'));
  const fallback = await selfSigned(dir, 'default', 'default.example.com');
  const base = snapshotWith([{ direct: { status: 200 } }], []);
  const tls = { ...fallback, sni: [{ serverNames: ['shop.example.com'], certFile: fallback.certFile, keyFile: join(dir, 'nope.key') }] };
  await assert.rejects(proxyFor({ ...base, listeners: [{ ...base.listeners[0], tls }] }), { message: `listener http: tls.sni[0].keyFile: cannot read ${join(dir, 'nope.key')}: ENOENT` });
});
