// The demo's traffic generator: a steady rate of requests, one line of results every 2 s
// (requests, success rate, latency percentiles, which version answered).
import { Agent, request } from 'node:http';

export interface TrafficOptions {
  /** Where requests go: an HTTP proxy (a sidecar's outbound listener) … */
  proxyPort: number;
  /** … and the URL asked of it. */
  url: string;
  rps: number;
  /** Every n-th request carries `end-user: jason` (0: never). */
  jasonEvery: number;
  /** Which version answered, read from the response body. */
  versionOf(body: string): string;
  out(line: string): void;
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

/** Starts sending; returns a function that stops. */
export function startTraffic(o: TrafficOptions): () => void {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const host = new URL(o.url).host;
  let win = newWindow();
  let n = 0;
  const send = setInterval(() => {
    const started = Date.now();
    const jason = o.jasonEvery > 0 && n++ % o.jasonEvery === 0;
    const req = request({ host: '127.0.0.1', port: o.proxyPort, path: o.url, agent, headers: { host, ...(jason ? { 'end-user': 'jason' } : {}) } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        const v = res.statusCode === 200 ? o.versionOf(body) : `HTTP ${res.statusCode}`;
        win.byVersion.set(v, (win.byVersion.get(v) ?? 0) + 1);
        if (res.statusCode === 200) win.ok++;
        else win.failed++;
        win.latencies.push(Date.now() - started);
      });
    });
    req.on('error', () => win.failed++);
    req.end();
  }, Math.max(1, Math.round(1000 / o.rps)));
  const report = setInterval(() => {
    const w = win;
    win = newWindow();
    const total = w.ok + w.failed;
    const lat = w.latencies.sort((a, b) => a - b);
    const split = [...w.byVersion].sort().map(([v, c]) => `${v} ${Math.round((100 * c) / Math.max(1, total))}%`).join('  ');
    o.out(`traffic: ${total} req  success ${total ? ((100 * w.ok) / total).toFixed(1) : '-'}%  p50 ${percentile(lat, 50)} ms  p99 ${percentile(lat, 99)} ms  |  ${split}`);
  }, 2000);
  return () => {
    clearInterval(send);
    clearInterval(report);
    agent.destroy();
  };
}
