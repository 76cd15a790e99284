// The proxy's gateway TLS modes from a snapshot, against real clients (curl, openssl s_client):
// MUTUAL (a client certificate from the listener's CA required, optionally with given SANs, per
// SNI name), and PASSTHROUGH (the ClientHello's server name picks a backend that terminates TLS
// itself; unknown names are closed; a listener can pass some names through and terminate others).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { cluster, proxyFor, snapshotWith } from '../support/proxy.js';
import { makeCa, makeLeaf as leaf, type CertFiles } from '../support/openssl.js';

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
  const tls = {
    certFile: server.cert,
    keyFile: server.key,
    clientAuth: { caCertificatesFile: clientCa.cert, subjectAltNames: ['spiffe://example.com/alice', 'carol.clients.example.com'] },
    // Another name on the port, SIMPLE: no client certificate needed there.
    sni: [{ serverNames: ['shop.example.com'], certFile: shop.cert, keyFile: shop.key }],
  };
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
});

test('MUTUAL on every name: a client without a certificate is refused in the handshake', async () => {
  const [serverCa, clientCa] = await Promise.all([makeCa('server CA'), makeCa('client CA')]);
  const [server, bob] = await Promise.all([leaf(serverCa, 'secure.example.com', 'DNS:secure.example.com'), leaf(clientCa, 'bob', 'DNS:bob.clients.example.com')]);
  const base = snapshotWith([{ direct: { status: 200, body: 'hello' } }], []);
  const tls = { certFile: server.cert, keyFile: server.key, clientAuth: { caCertificatesPem: readFileSync(clientCa.cert, 'utf8') } };
  const proxy = await proxyFor({ ...base, listeners: [{ ...base.listeners[0], protocol: 'detect', direction: 'gateway', tls }] });
  try {
    assert.deepEqual(await curl(proxy.port, 'secure.example.com', serverCa, bob), { code: 0, body: 'hello' });
    const script = `echo | timeout 10 openssl s_client -connect 127.0.0.1:${proxy.port} -servername secure.example.com -CAfile '${serverCa.cert}' 2>&1; true`;
    const { stdout } = await run('sh', ['-c', script]);
    assert.match(stdout, /alert certificate required|alert handshake failure|peer did not return a certificate/i, stdout);
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
async function presentedCn(port: number, servername: string): Promise<string> {
  const script = `echo | timeout 10 openssl s_client -connect 127.0.0.1:${port} -servername ${servername} 2>/dev/null | openssl x509 -noout -subject; true`;
  return (await run('sh', ['-c', script])).stdout.trim();
}

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
    assert.equal(await presentedCn(proxy.port, 'a.example.com'), 'subject=CN = a.example.com');
    assert.equal(await presentedCn(proxy.port, 'b.example.com'), 'subject=CN = b.example.com');
    // No route for the name: closed before any certificate.
    assert.equal(await presentedCn(proxy.port, 'c.example.com'), '');
    assert.notEqual((await curl(proxy.port, 'c.example.com', ca)).code, 0);
    // Plain HTTP on a passthrough port: closed.
    const plain = await run('curl', ['-s', '--max-time', '10', `http://127.0.0.1:${proxy.port}/`]).then(() => 0, (e: { code?: number }) => e.code ?? -1);
    assert.notEqual(plain, 0);

    // The same port also terminating TLS for the other names, with the gateway's certificate.
    await proxy.applySnapshot({
      version: '2',
      listeners: [{ ...listener, protocol: 'detect', routeConfig: 'main', tls: { certFile: gwCert.cert, keyFile: gwCert.key } }],
      routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ direct: { status: 200, body: 'terminated' } }] }] }],
      clusters: [cluster('a', [a.port]), cluster('b', [b.port])],
    });
    assert.deepEqual(await curl(proxy.port, 'a.example.com', ca), { code: 0, body: 'backend-a' });
    assert.deepEqual(await curl(proxy.port, 'c.example.com', ca), { code: 60, body: '' }); // gateway.example.com's certificate: name mismatch
    assert.equal(await presentedCn(proxy.port, 'c.example.com'), 'subject=CN = gateway.example.com');
  } finally {
    await proxy.close();
    a.server.close();
    b.server.close();
  }
});
