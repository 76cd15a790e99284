import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import http from 'node:http';
import { randomBytes, createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { startUpstream, type TestUpstream } from '/work/main/test/support/upstream.js';
import { proxyFor, snapshotWith, cluster } from '/work/main/test/support/proxy.js';

let v1: TestUpstream;
let grpcPort = 0;
let h2Port = 0;
const gserver = new grpc.Server();
const h2up = http2.createServer();
const identity = (b: Buffer): Buffer => b;
before(async () => {
  v1 = await startUpstream('v1');
  gserver.addService({ echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } } as grpc.ServiceDefinition, {
    echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => call.request.toString() === 'bad' ? cb({ code: grpc.status.NOT_FOUND, details: 'nope' }) : cb(null, Buffer.concat([Buffer.from('echo:'), call.request])),
  });
  grpcPort = await new Promise<number>((res, rej) => gserver.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  h2up.on('stream', (st, h) => {
    st.on('error', () => {});
    const chunks: Buffer[] = [];
    st.on('data', (c: Buffer) => chunks.push(c));
    st.on('end', () => {
      const b = Buffer.concat(chunks);
      st.respond({ ':status': 200, 'x-path': String(h[':path']), 'x-len': String(b.length), 'x-sha': createHash('sha256').update(b).digest('hex') });
      st.end(b);
    });
  });
  await new Promise<void>((r) => h2up.listen(0, '127.0.0.1', r));
  h2Port = (h2up.address() as any).port;
});
after(async () => { await v1.close(); gserver.forceShutdown(); h2up.close(); });

function snap() {
  const s = snapshotWith(
    [
      { name: 'grpc', match: { path: { prefix: '/test.Echo/' } }, forward: { destinations: [{ cluster: 'g' }] } },
      { name: 'h2', match: { path: { prefix: '/h2/' } }, forward: { destinations: [{ cluster: 'h2c' }] } },
      { name: 'nowhere', match: { path: { prefix: '/none.Svc/' } }, forward: { destinations: [{ cluster: 'dead' }] } },
      { name: 'default', forward: { destinations: [{ cluster: 'c1' }] } },
    ],
    [cluster('c1', [v1.port]), cluster('g', [grpcPort], { protocol: 'http2' }), cluster('h2c', [h2Port], { protocol: 'http2' }), cluster('dead', [1], { protocol: 'http2' })],
  );
  s.listeners[0].protocol = 'detect';
  return s;
}

test('h2 client -> proxy -> http1 upstream', async () => {
  const proxy = await proxyFor(snap());
  try {
    const c = http2.connect(`http://127.0.0.1:${proxy.port}`);
    const r = c.request({ ':path': '/hello', ':authority': 'reviews:9080' }, { endStream: true });
    let hdr: any; const chunks: Buffer[] = [];
    r.on('response', (h) => (hdr = h)); r.on('data', (d: Buffer) => chunks.push(d));
    await new Promise((res) => r.on('end', res));
    console.log(hdr[':status'], Buffer.concat(chunks).toString().slice(0, 200));
    assert.equal(hdr[':status'], 200);
    // big download through chunked http1 -> h2
    const r2 = c.request({ ':path': '/bytes/1048576' }, { endStream: true });
    let n = 0; r2.on('data', (d: Buffer) => (n += d.length));
    await new Promise((res) => r2.on('end', res));
    assert.equal(n, 1048576);
    c.close();
  } finally { await proxy.close(); }
});

test('grpc-js client -> proxy -> grpc-js server', async () => {
  const proxy = await proxyFor(snap());
  try {
    const client = new grpc.Client(`127.0.0.1:${proxy.port}`, grpc.credentials.createInsecure());
    const call = (m: string, path = '/test.Echo/Echo') => new Promise<any>((res) => client.makeUnaryRequest(path, identity, identity, Buffer.from(m), (err, v) => res({ err, v })));
    const ok = await call('hi');
    assert.equal(ok.err, null); assert.equal(ok.v.toString(), 'echo:hi');
    const bad = await call('bad');
    assert.equal(bad.err.code, grpc.status.NOT_FOUND); assert.equal(bad.err.details, 'nope');
    const none = await call('x', '/none.Svc/M');
    console.log('none:', none.err.code, none.err.details);
    assert.equal(none.err.code, grpc.status.UNAVAILABLE);
    client.close();
  } finally { await proxy.close(); }
});

test('http1 client chunked upload -> proxy -> h2 upstream', async () => {
  const proxy = await proxyFor(snap());
  try {
    const payload = randomBytes(300_000);
    const res = await new Promise<http.IncomingMessage & { body: Buffer }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy.port, path: '/h2/up', method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        const chunks: Buffer[] = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => resolve(Object.assign(res, { body: Buffer.concat(chunks) })));
      });
      req.on('error', reject);
      for (let i = 0; i < payload.length; i += 7000) req.write(payload.subarray(i, i + 7000));
      req.end();
    });
    console.log(res.statusCode, res.headers['x-len'], res.headers['x-maille-error']);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-len'], String(payload.length));
    assert.equal(res.headers['x-sha'], createHash('sha256').update(payload).digest('hex'));
    assert.equal(res.body.length, payload.length);
  } finally { await proxy.close(); }
});
