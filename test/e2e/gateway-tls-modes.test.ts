// The proxy's gateway TLS modes from a snapshot, against real clients (curl, openssl s_client):
// MUTUAL (a client certificate from the listener's CA required, optionally with given SANs, per
// SNI name), and PASSTHROUGH (the ClientHello's server name picks a backend that terminates TLS
// itself; unknown names are closed; a listener can pass some names through and terminate others).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { cluster, proxyFor, snapshotWith } from '../support/proxy.js';
import { makeCa, makeLeaf as leaf, servedCertificate, type CertFiles } from '../support/openssl.js';

const run = promisify(execFile);

interface Curl {
  code: number;
  body: string;
}

/** curl over HTTPS to host:port on loopback, trusting `ca`, optionally presenting a client certificate. */
async function curl(port: number, host: string, ca: CertFiles, client?: CertFiles): Promise<Curl> {
  const args = ['-s', '--max-time', '10', '--cacert', ca.cert, '--resolve', `${host}:${port}:127.0.0.1`, `https://${host}:${port}/`];
  if (client) args.push('--cert', client.cert, '--key', client.key);
  try {
    const { stdout } = await run('curl', args);
    return { code: 0, body: stdout };
  } catch (err) {
    return { code: Number((err as { code?: number }).code ?? -1), body: String((err as { stdout?: string }).stdout ?? '') };
  }
}

test('MUTUAL: a client certificate from the CA is required; subjectAltNames narrow who; per SNI name', async () => {
  const [serverCa, clientCa, otherCa] = await Promise.all([makeCa('server CA'), makeCa('client CA'), makeCa('other CA')]);
  const [server, shop, alice, bob, stranger] = await Promise.all([
    leaf(serverCa, 'secure.example.com', 'DNS:secure.example.com'),
    leaf(serverCa, 'shop.example.com', 'DNS:shop.example.com'),
    leaf(clientCa, 'alice', 'DNS:alice.clients.example.com,URI:spiffe://example.com/alice'),
    leaf(clientCa, 'bob', 'DNS:bob.clients.example.com'),
    leaf(otherCa, 'alice', 'DNS:alice.clients.example.com'),
  ]);
  const base = snapshotWith([{ direct: { status: 200, body: 'hello' } }], []);
  const clientAuth = { caCertificatesFile: clientCa.cert, subjectAltNames: ['spiffe://example.com/alice', 'carol.clients.example.com'] };
  const secure = { certFile: server.cert, keyFile: server.key };
  const simple = { certFile: shop.cert, keyFile: shop.key };
  // The MUTUAL name as the listener's default certificate with a SIMPLE one by SNI, and the other
  // way round (the client CA then lives in the context SNI switches to).
  const layouts = [
    { ...secure, clientAuth, sni: [{ serverNames: ['shop.example.com'], ...simple }] },
    { ...simple, sni: [{ serverNames: ['secure.example.com'], ...secure, clientAuth }] },
  ];
  for (const tls of layouts) {
    const proxy = await proxyFor({ ...base, listeners: [{ ...base.listeners[0], protocol: 'detect', direction: 'gateway', tls }] });
    try {
      assert.deepEqual(await curl(proxy.port, 'secure.example.com', serverCa, alice), { code: 0, body: 'hello' });
      // From the right CA, but none of the names.
      assert.notEqual((await curl(proxy.port, 'secure.example.com', serverCa, bob)).code, 0);
      // The right names, another CA.
      assert.notEqual((await curl(proxy.port, 'secure.example.com', serverCa, stranger)).code, 0);
      // None at all.
      assert.notEqual((await curl(proxy.port, 'secure.example.com', serverCa)).code, 0);
      // The SIMPLE name on the same port needs none.
      assert.deepEqual(await curl(proxy.port, 'shop.example.com', serverCa), { code: 0, body: 'hello' });
    } finally {
      await proxy.close();
    }
  }
});

test('MUTUAL on every name: a client without a certificate is refused in the handshake', async () => {
  const [serverCa, clientCa] = await Promise.all([makeCa('server CA'), makeCa('client CA')]);
  const [server, bob] = await Promise.all([leaf(serverCa, 'secure.example.com', 'DNS:secure.example.com'), leaf(clientCa, 'bob', 'DNS:bob.clients.example.com')]);
  const base = snapshotWith([{ direct: { status: 200, body: 'hello' } }], []);
  const tls = { certFile: server.cert, keyFile: server.key, clientAuth: { caCertificatesPem: readFileSync(clientCa.cert, 'utf8') } };
  const proxy = await proxyFor({ ...base, listeners: [{ ...base.listeners[0], protocol: 'detect', direction: 'gateway', tls }] });
  try {
    assert.deepEqual(await curl(proxy.port, 'secure.example.com', serverCa, bob), { code: 0, body: 'hello' });
    // TLS 1.3: the client learns of the refusal by the server's alert when it reads.
    const refusal = await new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, servername: 'secure.example.com', ca: readFileSync(serverCa.cert) }, () => socket.write('GET / HTTP/1.1\r\nhost: secure.example.com\r\n\r\n'));
      socket.on('data', (d: Buffer) => resolve(`answered: ${d.toString()}`));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      socket.on('close', () => resolve('closed without an alert'));
      socket.setTimeout(10_000, () => (resolve('timeout'), socket.destroy()));
    });
    assert.equal(refusal, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  } finally {
    await proxy.close();
  }
});

test('OPTIONAL_MUTUAL: a client certificate is asked for, not required; one that is sent must pass', async () => {
  const [serverCa, clientCa, otherCa] = await Promise.all([makeCa('server CA'), makeCa('client CA'), makeCa('other CA')]);
  const [server, bob, stranger] = await Promise.all([
    leaf(serverCa, 'secure.example.com', 'DNS:secure.example.com'),
    leaf(clientCa, 'bob', 'DNS:bob.clients.example.com'),
    leaf(otherCa, 'bob', 'DNS:bob.clients.example.com'),
  ]);
  const base = snapshotWith([{ direct: { status: 200, body: 'hello' } }], []);
  const tls = { certFile: server.cert, keyFile: server.key, clientAuth: { caCertificatesFile: clientCa.cert, optional: true } };
  const proxy = await proxyFor({ ...base, listeners: [{ ...base.listeners[0], protocol: 'detect', direction: 'gateway', tls }] });
  try {
    assert.deepEqual(await curl(proxy.port, 'secure.example.com', serverCa), { code: 0, body: 'hello' });
    assert.deepEqual(await curl(proxy.port, 'secure.example.com', serverCa, bob), { code: 0, body: 'hello' });
    assert.notEqual((await curl(proxy.port, 'secure.example.com', serverCa, stranger)).code, 0);
  } finally {
    await proxy.close();
  }
});

/** A TLS server with its own certificate, answering every connection with a line naming itself. */
async function tlsBackend(name: string, cert: CertFiles): Promise<{ server: TlsServer; port: number }> {
  const server = createTlsServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, (s) => {
    s.once('data', () => s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${name.length}\r\nconnection: close\r\n\r\n${name}`));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** The subject CN of the certificate a client sees on 127.0.0.1:port when asking for `servername`. */
test('PASSTHROUGH: the server name picks a backend that terminates TLS itself; unknown names are closed', async () => {
  const ca = await makeCa('backend CA');
  const [aCert, bCert, gwCert] = await Promise.all([
    leaf(ca, 'a.example.com', 'DNS:a.example.com'),
    leaf(ca, 'b.example.com', 'DNS:b.example.com'),
    leaf(ca, 'gateway.example.com', 'DNS:gateway.example.com'),
  ]);
  const [a, b] = await Promise.all([tlsBackend('backend-a', aCert), tlsBackend('backend-b', bCert)]);
  const listener = {
    name: 'passthrough',
    address: '127.0.0.1',
    port: 0,
    direction: 'gateway' as const,
    protocol: 'tcp' as const,
    sniRoutes: [
      { serverNames: ['a.example.com'], destinations: [{ cluster: 'a' }] },
      { serverNames: ['*.b.example.com', 'b.example.com'], destinations: [{ cluster: 'b' }] },
    ],
  };
  const proxy = await proxyFor({ version: '1', listeners: [listener], clusters: [cluster('a', [a.port]), cluster('b', [b.port])] });
  try {
    assert.deepEqual(await curl(proxy.port, 'a.example.com', ca), { code: 0, body: 'backend-a' });
    assert.deepEqual(await curl(proxy.port, 'b.example.com', ca), { code: 0, body: 'backend-b' });
    assert.equal(await servedCertificate(proxy.port, 'a.example.com'), 'subject=CN = a.example.com');
    assert.equal(await servedCertificate(proxy.port, 'b.example.com'), 'subject=CN = b.example.com');
    // No route for the name: closed before any certificate.
    assert.equal(await servedCertificate(proxy.port, 'c.example.com'), '');
    assert.notEqual((await curl(proxy.port, 'c.example.com', ca)).code, 0);
    // Plain HTTP on a passthrough port: closed.
    const plain = await run('curl', ['-s', '--max-time', '10', `http://127.0.0.1:${proxy.port}/`]).then(() => 0, (e: { code?: number }) => e.code ?? -1);
    assert.notEqual(plain, 0);

    // The same port also terminating TLS for the other names, with the gateway's certificate.
    const applied = await proxy.applySnapshot({
      version: '2',
      listeners: [{ ...listener, protocol: 'detect', routeConfig: 'main', tls: { certFile: gwCert.cert, keyFile: gwCert.key } }],
      routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ direct: { status: 200, body: 'terminated' } }] }] }],
      clusters: [cluster('a', [a.port]), cluster('b', [b.port])],
    });
    assert.deepEqual(applied, { applied: true });
    assert.deepEqual(await curl(proxy.port, 'a.example.com', ca), { code: 0, body: 'backend-a' });
    assert.deepEqual(await curl(proxy.port, 'c.example.com', ca), { code: 60, body: '' }); // gateway.example.com's certificate: name mismatch
    assert.equal(await servedCertificate(proxy.port, 'c.example.com'), 'subject=CN = gateway.example.com');
    // And HTTP (h2 or HTTP/1.1 by ALPN) flows over the terminated connection.
    assert.deepEqual(await curl(proxy.port, 'gateway.example.com', ca), { code: 0, body: 'terminated' });
    const http1 = await run('curl', ['-s', '--http1.1', '--cacert', ca.cert, '--resolve', `gateway.example.com:${proxy.port}:127.0.0.1`, `https://gateway.example.com:${proxy.port}/`]);
    assert.equal(http1.stdout, 'terminated');
  } finally {
    await proxy.close();
    a.server.close();
    b.server.close();
  }
});

test('a passthrough listener drains a client that has not sent its ClientHello yet', async () => {
  const listener = {
    name: 'passthrough',
    address: '127.0.0.1',
    port: 0,
    direction: 'gateway' as const,
    protocol: 'tcp' as const,
    // Far longer than the wait below: the close must come from the drain, not the hello timeout.
    limits: { headerTimeoutMs: 600_000 },
    sniRoutes: [{ serverNames: ['a.example.com'], destinations: [{ cluster: 'a' }] }],
  };
  const proxy = await proxyFor({ version: '1', listeners: [listener], clusters: [cluster('a', [1])], drainTimeoutMs: 60_000 });
  const silent = netConnect(proxy.port, '127.0.0.1');
  silent.on('error', () => {});
  await new Promise((r) => silent.once('connect', r));
  const closed = new Promise<string>((r) => silent.once('close', () => r('closed')));
  let drainedAll = false;
  try {
    // Half a ClientHello record header: still waiting for the rest.
    silent.write(Buffer.from([0x16, 0x03]));
    const drained = proxy.drain().then(() => 'drained');
    assert.equal(await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open after 30 s'), 30_000).unref())]), 'closed');
    assert.equal(await Promise.race([drained, new Promise((r) => setTimeout(() => r('drain still waiting after 30 s'), 30_000).unref())]), 'drained');
    drainedAll = true;
  } finally {
    silent.destroy();
    if (!drainedAll) await proxy.close(); // a drained proxy has closed already
  }
});
