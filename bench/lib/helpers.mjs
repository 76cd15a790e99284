// Small helpers: rounding, loopback ports, an HTTP GET, waiting for a listener, tool versions.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { sleep } from './processes.mjs';
import { cfg } from './settings.mjs';

// ---------------------------------------------------------------------------------------------
// Small helpers

export function round(n, d = 2) {
  if (n == null || !Number.isFinite(n)) return null;
  const f = 10 ** d;
  return Math.round(n * f) / f;
}
export function mapValues(obj, fn) {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]));
}

export function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export let nextPort = cfg.portBase;
export async function allocPort() {
  for (let tries = 0; tries < 200; tries++) {
    const p = nextPort++;
    if (await portFree(p)) return p;
  }
  throw new Error(`no free port from ${cfg.portBase}`);
}

/** One GET; resolves {status, headers, bodyLength} or rejects. */
export function httpGet(port, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let len = 0;
      res.on('data', (c) => (len += c.length));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bodyLength: len }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function waitHttp(port, proc, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (proc?.exited) throw new Error(`${proc.name} exited (code ${proc.exitCode}, signal ${proc.signal})`);
    try {
      return await httpGet(port, 1000);
    } catch (e) {
      lastErr = e;
      await sleep(100);
    }
  }
  throw new Error(`nothing answered HTTP on 127.0.0.1:${port} within ${timeoutMs} ms (${lastErr?.message})`);
}

/** A TLS listener does not answer plain HTTP; a TCP connect shows it is up. */
export async function waitPort(port, proc, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc?.exited) throw new Error(`${proc.name} exited (code ${proc.exitCode}, signal ${proc.signal})`);
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await sleep(100);
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export function toolVersion(cmd, args) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 })
      .toString()
      .split('\n')[0]
      .trim();
  } catch (e) {
    // nginx -v writes to stderr
    const err = e?.stderr?.toString().trim();
    return err || null;
  }
}
export function nginxVersion() {
  try {
    const r = execFileSync('sh', ['-c', 'nginx -v 2>&1'], { timeout: 5000 });
    return r.toString().trim();
  } catch {
    return null;
  }
}
