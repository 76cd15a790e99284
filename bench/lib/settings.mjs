// The bench's settings, from the environment (bench/README.md lists them), and its targets.
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH_DIR, '..');

// ---------------------------------------------------------------------------------------------
// Settings (environment)

export function envNum(name, def) {
  const v = process.env[name];
  if (v == null || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}=${v} is not a number`);
  return n;
}
export function envStr(name, def) {
  const v = process.env[name];
  return v == null || v === '' ? def : v;
}

export const QUICK = process.env.BENCH_QUICK === '1';
export const ALL_SCENARIOS = ['direct', 'haproxy', 'maille1', 'haproxy2', 'maille2', 'haproxy2-mtls', 'maille2-mtls'];
export const cfg = {
  quick: QUICK,
  duration: envNum('BENCH_DURATION', QUICK ? 3 : 10),
  rateDuration: envNum('BENCH_RATE_DURATION', envNum('BENCH_DURATION', QUICK ? 3 : 10)),
  warmup: envNum('BENCH_WARMUP', QUICK ? 1 : 2),
  rates: envStr('BENCH_RATES', '500,1000,2000').split(',').map(Number).filter((n) => n > 0),
  connections: envNum('BENCH_CONNECTIONS', 16),
  scenarios: envStr('BENCH_SCENARIOS', ALL_SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
  rateTool: envStr('BENCH_RATE_TOOL', 'wrk'),
  pin: process.env.BENCH_PIN !== '0',
  cpuLoad: envStr('BENCH_CPU_LOAD', '0'),
  cpuUpstream: envStr('BENCH_CPU_UPSTREAM', envStr('BENCH_CPU_LOAD', '0')),
  cpuProxy: envStr('BENCH_CPU_PROXY', '1'),
  cpuProxy2: envStr('BENCH_CPU_PROXY2', envStr('BENCH_CPU_PROXY', '1')),
  nice: envNum('BENCH_NICE', 0),
  portBase: envNum('BENCH_PORT_BASE', 18080),
  bodyBytes: envNum('BENCH_BODY_BYTES', 1024),
  mailleNodeFlags: envStr('BENCH_MAILLE_NODE_FLAGS', '').split(/\s+/).filter(Boolean),
  resultsDir: envStr('BENCH_RESULTS_DIR', path.join(BENCH_DIR, 'results')),
};
for (const s of cfg.scenarios) {
  if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (known: ${ALL_SCENARIOS.join(', ')})`);
}
if (!['wrk', 'hey'].includes(cfg.rateTool)) throw new Error(`BENCH_RATE_TOOL must be wrk or hey`);
if (cfg.duration < 1 || cfg.rateDuration < 1) throw new Error('durations must be at least 1 s');

export const TARGETS = {
  throughputVsHaproxy: 0.8, // one maille proxy >= 0.8x one HAProxy (closed-loop max rps)
  pairAddedP99Ms: 1.0, // two chained maille proxies add <= 1 ms p99 at 1000 rps
  rssMB: 60, // each maille proxy: peak RSS < 60 MB
  coresPer1000Rps: 0.2, // each maille proxy: < 0.2 cores per 1000 rps
};
