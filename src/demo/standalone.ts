// The standalone demo: three versions of a "reviews" app as real processes, one maille proxy in
// front of them (canary split, header route, retries, outlier detection), and a traffic generator
// that prints what each version served, the success rate and latency percentiles.
//
// Until the control plane exists this is what `maille demo` runs; it then becomes the full mesh.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startProxy, type ProxyHandle } from '../proxy/app/proxy.js';
import { demoSnapshot } from './demo-snapshot.js';

export interface DemoOptions {
  /** Where the proxy listens (0: any free port). */
  port: number;
  /** Requests per second of generated traffic. */
  rps: number;
  /** Stop after this many seconds (0: until stopped). */
  durationSec: number;
  out(line: string): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startApp(version: string, port: number, out: (l: string) => void): ChildProcess {
  const script = fileURLToPath(new URL('./reviews-app.js', import.meta.url));
  const child = spawn(process.execPath, [script], { env: { ...process.env, PORT: String(port), VERSION: version }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[reviews-${version}] `;
  child.stdout?.on('data', (d: Buffer) => d.toString().trimEnd().split('\n').forEach((l) => out(prefix + l)));
  child.stderr?.on('data', (d: Buffer) => d.toString().trimEnd().split('\n').forEach((l) => out(prefix + l)));
  return child;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`demo app on port ${port} did not start within ${timeoutMs} ms`);
}

interface Window {
  byVersion: Map<string, number>;
  ok: number;
  failed: number;
  latencies: number[];
}

const newWindow = (): Window => ({ byVersion: new Map(), ok: 0, failed: 0, latencies: [] });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function runStandaloneDemo(opts: DemoOptions, stop: Promise<void>): Promise<void> {
  const ports = { v1: await freePort(), v2: await freePort(), v3: await freePort() };
  const apps = (Object.keys(ports) as (keyof typeof ports)[]).map((v) => startApp(v, ports[v], opts.out));
  let proxy: ProxyHandle | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let timer: NodeJS.Timeout | undefined;
  let report: NodeJS.Timeout | undefined;
  try {
    await Promise.all(Object.values(ports).map((p) => waitForPort(p, 10_000)));
    proxy = await startProxy({ snapshot: demoSnapshot(opts.port, ports), adminPort: 0, adminAddress: '127.0.0.1', logLevel: 'warn' });
    const proxyPort = proxy.listenerPorts.get('outbound')!;
    opts.out(`maille proxy listening on 127.0.0.1:${proxyPort} (admin 127.0.0.1:${proxy.adminPort})`);
    opts.out(`try: curl -H 'Host: reviews' http://127.0.0.1:${proxyPort}/reviews/1`);
    opts.out(`     curl -H 'Host: reviews' -H 'end-user: jason' http://127.0.0.1:${proxyPort}/reviews/1`);
    opts.out(`     curl http://127.0.0.1:${proxy.adminPort}/stats/prometheus`);
    let win = newWindow();
    let n = 0;
    timer = setInterval(() => {
      const started = Date.now();
      const jason = n++ % 10 === 0;
      const req = request(
        { host: '127.0.0.1', port: proxyPort, path: '/reviews/1', agent, headers: { host: 'reviews', ...(jason ? { 'end-user': 'jason' } : {}) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            const v = String(res.headers['x-version'] ?? 'none');
            win.byVersion.set(v, (win.byVersion.get(v) ?? 0) + 1);
            if (res.statusCode === 200) win.ok++;
            else win.failed++;
            win.latencies.push(Date.now() - started);
          });
        },
      );
      req.on('error', () => win.failed++);
      req.end();
    }, Math.max(1, Math.round(1000 / opts.rps)));
    report = setInterval(() => {
      const w = win;
      win = newWindow();
      const total = w.ok + w.failed;
      const lat = w.latencies.sort((a, b) => a - b);
      const split = [...w.byVersion].sort().map(([v, c]) => `${v} ${Math.round((100 * c) / Math.max(1, total))}%`).join('  ');
      opts.out(
        `reviews: ${total} req  success ${total ? ((100 * w.ok) / total).toFixed(1) : '-'}%  p50 ${percentile(lat, 50)} ms  p99 ${percentile(lat, 99)} ms  |  ${split}`,
      );
    }, 2000);
    const limit = opts.durationSec > 0 ? new Promise<void>((r) => setTimeout(r, opts.durationSec * 1000)) : new Promise<void>(() => {});
    await Promise.race([stop, limit]);
  } finally {
    if (timer) clearInterval(timer);
    if (report) clearInterval(report);
    agent.destroy();
    if (proxy) await proxy.drain();
    for (const a of apps) a.kill('SIGTERM');
    opts.out('demo stopped');
  }
}
