import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startAdminServer, isLoopbackAddress, type AdminServer, type AdminSource } from './admin.js';
import { getLogLevel, setLogLevel, setLogSink } from '../telemetry/log.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over a real socket; `headers` may override Host. */
function request(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let isReady = false;
const source: AdminSource = {
  ready: () => isReady,
  configDump: () => ({ version: '7', snapshot: { listeners: [{ name: 'outbound', port: 15001 }] } }),
  clusters: () => [
    {
      name: 'reviews',
      endpoints: [
        { address: '127.0.0.1', port: 9081, healthy: true, ejected: false, weight: 1 },
        { address: '::1', port: 9082, healthy: true, ejected: true, ejections: 2 },
      ],
    },
    { name: 'empty', endpoints: [] },
  ],
  metricsText: () => '# HELP x X.\n# TYPE x counter\nx 1\n',
};

let admin: AdminServer;
let port: number;

before(async () => {
  setLogSink(() => {}); // keep test output clean
  admin = await startAdminServer({ address: '127.0.0.1', port: 0, source });
  port = admin.port;
});

after(async () => {
  await admin.close();
  setLogSink(undefined);
  setLogLevel('info');
});

test('GET /ready follows source.ready(); /healthz is always ok', async () => {
  isReady = false;
  let r = await request(port, 'GET', '/ready');
  assert.equal(r.status, 503);
  assert.equal(r.body, 'not ready\n');
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  isReady = true;
  r = await request(port, 'GET', '/ready');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'ready\n');
  r = await request(port, 'GET', '/healthz');
  assert.deepEqual([r.status, r.body], [200, 'ok\n']);
  assert.equal(r.headers['cache-control'], 'no-store');
  r = await request(port, 'HEAD', '/healthz');
  assert.deepEqual([r.status, r.body, r.headers['content-length']], [200, '', '3']);
});

test('GET /config_dump returns the snapshot and version as JSON', async () => {
  const r = await request(port, 'GET', '/config_dump');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.deepEqual(JSON.parse(r.body), source.configDump());
});

test('GET /clusters as JSON and as text', async () => {
  let r = await request(port, 'GET', '/clusters');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.deepEqual(JSON.parse(r.body), source.clusters());
  r = await request(port, 'GET', '/clusters?format=text');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(
    r.body,
    [
      'reviews::127.0.0.1:9081::healthy=true ejected=false weight=1',
      'reviews::[::1]:9082::healthy=true ejected=true ejections=2',
      'empty::(no endpoints)',
      '',
    ].join('\n'),
  );
  r = await request(port, 'GET', '/clusters?format=yaml');
  assert.equal(r.status, 400);
  assert.equal(r.body, 'unknown format "yaml": use json or text\n');
});

test('GET /stats/prometheus serves text format 0.0.4', async () => {
  const r = await request(port, 'GET', '/stats/prometheus');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(r.body, source.metricsText());
});

test('GET and POST /logging show and change the level', async () => {
  let r = await request(port, 'GET', '/logging');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.deepEqual(JSON.parse(r.body), { level: 'info', levels: ['debug', 'info', 'warn', 'error', 'off'] });

  r = await request(port, 'POST', '/logging?level=debug');
  assert.equal(r.status, 200);
  assert.equal((JSON.parse(r.body) as { level: string }).level, 'debug');
  assert.equal(getLogLevel(), 'debug');

  r = await request(port, 'POST', '/logging?level=loud');
  assert.equal(r.status, 400);
  assert.equal(r.body, 'unknown level "loud": use POST /logging?level=LEVEL with one of debug, info, warn, error, off\n');
  r = await request(port, 'POST', '/logging');
  assert.equal(r.status, 400);
  assert.match(r.body, /^no level parameter: /);
  assert.equal(getLogLevel(), 'debug');
});

test('GET / lists the endpoints; unknown paths 404; wrong methods 405 with Allow', async () => {
  let r = await request(port, 'GET', '/');
  assert.equal(r.status, 200);
  for (const p of ['/ready', '/healthz', '/config_dump', '/clusters', '/stats/prometheus', '/logging']) {
    assert.ok(r.body.includes(` ${p} `), `index lists ${p}`);
  }
  r = await request(port, 'GET', '/nope');
  assert.equal(r.status, 404);
  assert.equal(r.body, 'no admin endpoint /nope; GET / lists them\n');
  r = await request(port, 'GET', '/__proto__');
  assert.equal(r.status, 404);
  r = await request(port, 'GET', '//ready');
  assert.equal(r.status, 404);
  r = await request(port, 'GET', 'http://[bad/ready');
  assert.equal(r.status, 404);
  r = await request(port, 'POST', '/ready');
  assert.equal(r.status, 405);
  assert.equal(r.headers.allow, 'GET, HEAD');
  r = await request(port, 'DELETE', '/logging');
  assert.equal(r.status, 405);
  assert.equal(r.headers.allow, 'GET, HEAD, POST');
});

test('refuses DNS-rebinding hosts and cross-site POSTs', async () => {
  let r = await request(port, 'GET', '/config_dump', { host: 'evil.example:15000' });
  assert.equal(r.status, 403);
  r = await request(port, 'GET', '/healthz', { host: 'localhost:15000' });
  assert.equal(r.status, 200);
  r = await request(port, 'GET', '/healthz', { host: '[::1]:15000' });
  assert.equal(r.status, 200);
  r = await request(port, 'POST', '/logging?level=error', { origin: 'https://evil.example' });
  assert.equal(r.status, 403);
  r = await request(port, 'POST', '/logging?level=error', { origin: 'null' });
  assert.equal(r.status, 403);
  assert.notEqual(getLogLevel(), 'error');
  r = await request(port, 'POST', '/logging?level=warn', { origin: 'http://127.0.0.1:3000' });
  assert.equal(r.status, 200);
});

test('a source that throws gives a 500 naming the endpoint', async () => {
  const bad = await startAdminServer({
    address: '127.0.0.1',
    port: 0,
    source: {
      ...source,
      configDump: () => {
        throw new Error('snapshot unavailable');
      },
    },
  });
  try {
    const r = await request(bad.port, 'GET', '/config_dump');
    assert.equal(r.status, 500);
    assert.equal(r.body, 'admin: /config_dump failed: snapshot unavailable\n');
  } finally {
    await bad.close();
  }
});

test('refuses a non-loopback address unless allowed, and reports bind failures', async () => {
  await assert.rejects(startAdminServer({ address: '0.0.0.0', port: 0, source }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'MAILLE_ERR_ADMIN_NOT_LOOPBACK');
    assert.match(err.message, /^admin listener refused to bind 0\.0\.0\.0: it is not a loopback address\. .*set allowNonLoopback/);
    return true;
  });
  const open = await startAdminServer({ address: '0.0.0.0', port: 0, source, allowNonLoopback: true });
  try {
    // Not bound to loopback on purpose: any Host is accepted there.
    const r = await request(open.port, 'GET', '/healthz', { host: 'proxy.internal' });
    assert.equal(r.status, 200);
  } finally {
    await open.close();
  }
  await assert.rejects(startAdminServer({ address: '127.0.0.1', port, source }), /admin listener could not bind 127\.0\.0\.1:\d+: .*EADDRINUSE/);
});

test('close() returns even with a keep-alive client connected', async () => {
  const s = await startAdminServer({ address: '127.0.0.1', port: 0, source });
  const agent = new http.Agent({ keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: s.port, path: '/healthz', agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
  await s.close();
  agent.destroy();
});

test('isLoopbackAddress', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) {
    assert.equal(isLoopbackAddress(a), true, a);
  }
  for (const a of ['0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1', 'example.com', '']) {
    assert.equal(isLoopbackAddress(a), false, a);
  }
});
