// Load generators: wrk (closed loop, and fixed rates with pace.lua) and hey; bounded in time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { PIDS_FILE, TMP, children, pinned } from './processes.mjs';
import { BENCH_DIR, cfg } from './settings.mjs';

// ---------------------------------------------------------------------------------------------
// Load generators

export const LUA = path.join(TMP, 'pace.lua');
fs.copyFileSync(path.join(BENCH_DIR, 'pace.lua'), LUA);

/** Runs a bounded load-generator process on the load core; resolves its stdout. */
export function runTool(name, cmd, args, env, durationS) {
  return new Promise((resolve, reject) => {
    const [file, argv] = pinned(cfg.cpuLoad, cmd, args);
    const child = spawn(file, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    fs.appendFileSync(PIDS_FILE, `${child.pid}\n`);
    const proc = { name, child, pid: child.pid, exited: false };
    children.set(child.pid, proc);
    proc.exitPromise = new Promise((r) => child.on('exit', r));
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    // Hard bound: the tool's own duration plus a margin.
    const killer = setTimeout(() => child.kill('SIGKILL'), (durationS + 20) * 1000);
    child.on('error', (e) => {
      clearTimeout(killer);
      children.delete(child.pid);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      proc.exited = true;
      clearTimeout(killer);
      children.delete(child.pid);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} failed (code ${code}, signal ${signal}): ${(err || out).trim().slice(-500)}`));
    });
  });
}

/** Closed loop (rate 0) or fixed rate with wrk + pace.lua. Latencies in µs. */
export async function wrkRun(port, durationS, rate = 0) {
  const out = await runTool(
    'wrk',
    'wrk',
    ['-t1', `-c${cfg.connections}`, `-d${durationS}s`, '--timeout', '5s', '-s', LUA, `http://127.0.0.1:${port}/`],
    { BENCH_RATE: String(rate) },
    durationS,
  );
  const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (!line) throw new Error(`wrk printed no summary: ${out.slice(-300)}`);
  const j = JSON.parse(line.slice('BENCHJSON '.length));
  const errors = Object.values(j.errors).reduce((a, b) => a + b, 0);
  return {
    tool: 'wrk',
    requests: j.requests,
    durationS: j.duration_us / 1e6,
    rps: j.requests / (j.duration_us / 1e6),
    errors,
    errorDetail: j.errors,
    latUs: j.lat_us,
  };
}

/** Fixed rate with hey (-q is per worker). Its latencies have 0.1 ms resolution. */
export async function heyRun(port, durationS, rate) {
  const q = rate / cfg.connections;
  const out = await runTool(
    'hey',
    'hey',
    ['-z', `${durationS}s`, '-c', String(cfg.connections), '-q', String(q), '-disable-compression', `http://127.0.0.1:${port}/`],
    {},
    durationS,
  );
  const secs = (re) => {
    const m = out.match(re);
    return m ? Math.round(Number(m[1]) * 1e6) : null;
  };
  let ok = 0;
  let bad = 0;
  for (const m of out.matchAll(/\[(\d+)\]\s+(\d+) responses/g)) {
    if (m[1] === '200') ok += Number(m[2]);
    else bad += Number(m[2]);
  }
  const errM = out.match(/Error distribution:([\s\S]*)$/);
  if (errM) for (const m of errM[1].matchAll(/\[(\d+)\]/g)) bad += Number(m[1]);
  const total = Number(out.match(/Total:\s+([\d.]+) secs/)?.[1] ?? durationS);
  return {
    tool: 'hey',
    requests: ok + bad,
    durationS: total,
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN),
    errors: bad,
    latUs: {
      min: secs(/Fastest:\s+([\d.]+) secs/),
      mean: secs(/Average:\s+([\d.]+) secs/),
      p50: secs(/50% in ([\d.]+) secs/),
      p90: secs(/90% in ([\d.]+) secs/),
      p99: secs(/99% in ([\d.]+) secs/),
      max: secs(/Slowest:\s+([\d.]+) secs/),
    },
  };
}
