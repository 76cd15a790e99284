// Guards the memory work in docs/performance.md ("Memory"): a file-mode proxy with HTTP/1
// listeners and clusters only, serving traffic and its admin API, never loads node:http,
// node:http2 (lazy, transport/http2/node-http2.ts), node:tls (lazy, transport/node-tls.ts),
// TypeBox or yaml. Each of them costs the
// process resident memory for the rest of its life. The real binary (`node bin/maille.js proxy`),
// a real upstream, real requests; the child lists what it loaded when it exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageInfo } from '../../src/cli/package-info.js';

const BIN = join(packageInfo().root, 'bin/maille.js');

/**
 * Preload for the child: records every ES module URL it loads (a module hook, in its own thread,
 * appending to a file) and, at exit, the public builtins and CommonJS files it loaded.
 */
function preload(listFile: string): string {
  const hooks = `import fs from 'node:fs';
export async function load(url, context, next) { fs.appendFileSync(${JSON.stringify(listFile)}, 'esm ' + url + '\\n'); return next(url, context); }`;
  const main = `import { register, createRequire } from 'node:module';
import fs from 'node:fs';
register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hooks))});
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ') && !m.includes('internal/')).map((m) => 'builtin ' + m.slice(13));
  const cjs = Object.keys(createRequire(process.cwd() + '/').cache).map((f) => 'cjs ' + f);
  fs.appendFileSync(${JSON.stringify(listFile)}, [...builtins, ...cjs].join('\\n') + '\\n');
});`;
  return 'data:text/javascript,' + encodeURIComponent(main);
}

function get(port: number, path: string, host = 'app.local'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

test('an HTTP/1-only file-mode proxy never loads node:http, node:http2, node:tls, TypeBox or yaml', { timeout: 60_000 }, async () => {
  const upstream: Server = createServer((_req, res) => res.end('hello from upstream\n'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'maille-modules-'));
  const config = join(dir, 'snapshot.json');
  const listFile = join(dir, 'loaded.txt');
  writeFileSync(listFile, '');
  writeFileSync(
    config,
    JSON.stringify({
      version: 'modules-1',
      listeners: [{ name: 'http', address: '127.0.0.1', port: 0, direction: 'inbound', protocol: 'http1', routeConfig: 'main' }],
      routeConfigs: [{ name: 'main', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'app' }] } }] }] }],
      clusters: [{ name: 'app', protocol: 'http1', endpoints: [{ address: '127.0.0.1', port: upstreamPort }] }],
    }),
  );

  const child = spawn(process.execPath, ['--import', preload(listFile), BIN, 'proxy', '--config', config, '--admin-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const ports = await new Promise<{ http: number; admin: number }>((resolve, reject) => {
      const found: Record<string, number> = {};
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^(?:listener (http)|(admin)) \S+:(\d+)$/.exec(line);
        if (m) found[m[1] ?? m[2]] = Number(m[3]);
        if (found.http && found.admin) resolve({ http: found.http, admin: found.admin });
      });
      void exited.then((code) => reject(new Error(`proxy exited (${code}) before listening: ${stderr}`)));
    });

    for (let i = 0; i < 20; i++) assert.deepEqual(await get(ports.http, `/item/${i}`), { status: 200, body: 'hello from upstream\n' });
    assert.equal((await get(ports.admin, '/ready', '127.0.0.1')).status, 200);
    assert.equal((await get(ports.admin, '/stats/prometheus', '127.0.0.1')).status, 200);
    assert.equal((await get(ports.admin, '/config_dump', '127.0.0.1')).status, 200);
  } finally {
    child.kill('SIGTERM');
    await exited;
    upstream.close();
  }

  const loaded = readFileSync(listFile, 'utf8').split('\n');
  const builtins = new Set(loaded.filter((l) => l.startsWith('builtin ')).map((l) => l.slice(8)));
  const files = loaded.filter((l) => l.startsWith('esm ') || l.startsWith('cjs '));
  // The lists are real: the modules the proxy needs are in them.
  assert.ok(builtins.has('net'), `builtins listed: ${[...builtins].join(' ')}`);
  assert.ok(files.some((f) => f.includes('/proxy/app/listener-runtime.js')), 'proxy modules listed');
  for (const name of ['http', 'http2', '_http_server', '_http_common', 'https', 'tls', '_tls_wrap', '_tls_common']) {
    assert.ok(!builtins.has(name), `node:${name} was loaded; builtins: ${[...builtins].join(' ')}`);
  }
  for (const pkg of ['@sinclair/typebox', '/node_modules/yaml/']) {
    const hit = files.find((f) => f.includes(pkg));
    assert.equal(hit, undefined, `${pkg} was loaded: ${hit}`);
  }
});
