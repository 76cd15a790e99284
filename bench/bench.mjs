// maille benchmark harness: direct vs HAProxy vs maille, side by side in one run, on loopback.
//
// Started by bench/run.sh (which builds dist/, pins this script to the load-generator core and
// cleans up behind it). See bench/README.md for the method and what each number means.
//
// Layout (2 cores): the load generator (wrk) and the upstream (nginx, 1 KB body) share the
// "load" core; the proxy or proxies under test get the other core to themselves. Every process
// this script starts is pinned with taskset, logged in $BENCH_TMPDIR/pids and stopped on exit,
// failure or Ctrl-C.
import { spawn, execFileSync } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout, clearTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { makeMeshCerts } from './lib/certs.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');

// ---------------------------------------------------------------------------------------------
// Settings (environment)

function envNum(name, def) {
  const v = process.env[name];
  if (v == null || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}=${v} is not a number`);
  return n;
}
function envStr(name, def) {
  const v = process.env[name];
  return v == null || v === '' ? def : v;
}

const QUICK = process.env.BENCH_QUICK === '1';
const ALL_SCENARIOS = ['direct', 'haproxy', 'maille1', 'haproxy2', 'maille2', 'haproxy2-mtls', 'maille2-mtls'];
const cfg = {
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

const TARGETS = {
  throughputVsHaproxy: 0.8, // one maille proxy >= 0.8x one HAProxy (closed-loop max rps)
  pairAddedP99Ms: 1.0, // two chained maille proxies add <= 1 ms p99 at 1000 rps
  rssMB: 60, // each maille proxy: peak RSS < 60 MB
  coresPer1000Rps: 0.2, // each maille proxy: < 0.2 cores per 1000 rps
};

// ---------------------------------------------------------------------------------------------
// Temp dir, child processes, cleanup

const ownTmp = !process.env.BENCH_TMPDIR;
const TMP = process.env.BENCH_TMPDIR || fs.mkdtempSync(path.join(os.tmpdir(), 'maille-bench.'));
const PIDS_FILE = path.join(TMP, 'pids');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Live children: pid -> {name, child}. */
const children = new Map();
let aborting = false;

/** The command line that runs cmd pinned to `cpu` (and reniced with BENCH_NICE). */
function pinned(cpu, cmd, args) {
  let argv = [cmd, ...args];
  if (cfg.nice !== 0) argv = ['nice', '-n', String(cfg.nice), ...argv];
  if (cfg.pin) argv = ['taskset', '-c', String(cpu), ...argv];
  return [argv[0], argv.slice(1)];
}

/**
 * Starts a process (pinned to `cpu`), stdout/stderr appended to TMP/<name>.log and, when
 * `onLine` is given, fed to it line by line.
 */
function startProcess(name, cpu, cmd, args, { onLine, env } = {}) {
  const [file, argv] = pinned(cpu, cmd, args);
  const logPath = path.join(TMP, `${name}.log`);
  const log = fs.openSync(logPath, 'a');
  const child = spawn(file, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', onLine ? 'pipe' : log, onLine ? 'pipe' : log],
  });
  if (onLine) {
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.on('data', (chunk) => {
        fs.writeSync(log, chunk);
        buf += chunk.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i), stream === child.stdout);
          buf = buf.slice(i + 1);
        }
      });
    }
  }
  const proc = { name, child, pid: child.pid, logPath, exited: false, exitCode: null, signal: null };
  proc.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      proc.exited = true;
      proc.exitCode = code;
      proc.signal = signal;
      children.delete(child.pid);
      fs.closeSync(log);
      resolve();
    });
    child.on('error', (err) => {
      proc.exited = true;
      proc.spawnError = err;
      children.delete(child.pid);
      resolve();
    });
  });
  if (child.pid) {
    children.set(child.pid, proc);
    fs.appendFileSync(PIDS_FILE, `${child.pid}\n`);
  }
  return proc;
}

async function stopProcess(proc, graceMs = 3000) {
  if (!proc || proc.exited) return;
  try {
    proc.child.kill('SIGTERM');
  } catch {
    /* already gone */
  }
  const timer = setTimeout(() => {
    if (!proc.exited) proc.child.kill('SIGKILL');
  }, graceMs);
  await proc.exitPromise;
  clearTimeout(timer);
}

function killAllSync() {
  for (const proc of children.values()) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

process.on('exit', () => {
  killAllSync();
  if (ownTmp) fs.rmSync(TMP, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (aborting) return;
    aborting = true;
    console.error(`\nbench: ${sig}, stopping everything it started`);
    Promise.all([...children.values()].map((p) => stopProcess(p, 1000))).finally(() =>
      process.exit(sig === 'SIGINT' ? 130 : 143),
    );
  });
}

function logTail(proc, lines = 15) {
  try {
    const text = fs.readFileSync(proc.logPath, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// /proc readings

function readStat(pid) {
  // Fields after the command name, which is in parentheses and may contain anything.
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
}

/** pid and all its descendants (a proxy that forks workers is measured as a whole). */
function processTree(pid) {
  const kids = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { ppid } = readStat(entry);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    out.push(p);
    for (const k of kids.get(p) ?? []) queue.push(k);
  }
  return out;
}

/** CPU seconds (user + system, all threads) used so far by pid and its descendants. */
function cpuSeconds(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const st = readStat(p);
      ticks += st.utime + st.stime;
    } catch {
      /* exited */
    }
  }
  return ticks / CLK_TCK;
}

function statusKB(pid, field) {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const m = fs.readFileSync(`/proc/${p}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
      if (m) kb += Number(m[1]);
    } catch {
      /* exited */
    }
  }
  return kb;
}

/** Per-core busy jiffies (everything but idle and iowait). */
function coreTimes() {
  const out = {};
  for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = line.match(/^(cpu\d*)\s+(.*)$/);
    if (!m) continue;
    const v = m[2].split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[m[1]] = { busy: total - v[3] - v[4], total };
  }
  return out;
}

function coreBusy(before, after) {
  const out = {};
  for (const k of Object.keys(after)) {
    if (!before[k]) continue;
    const total = after[k].total - before[k].total;
    out[k] = total > 0 ? (after[k].busy - before[k].busy) / total : 0;
  }
  return out;
}

/** Cores busy on the machine over `ms`, from /proc/stat (to spot other work on the machine). */
async function backgroundLoad(ms) {
  const a = coreTimes();
  await sleep(ms);
  const b = coreTimes();
  const busy = coreBusy(a, b);
  const n = Object.keys(busy).filter((k) => k !== 'cpu').length;
  return { cores: round(busy.cpu * n, 3), perCore: mapValues(busy, (v) => round(v, 3)) };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function round(n, d = 2) {
  if (n == null || !Number.isFinite(n)) return null;
  const f = 10 ** d;
  return Math.round(n * f) / f;
}
function mapValues(obj, fn) {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]));
}

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

let nextPort = cfg.portBase;
async function allocPort() {
  for (let tries = 0; tries < 200; tries++) {
    const p = nextPort++;
    if (await portFree(p)) return p;
  }
  throw new Error(`no free port from ${cfg.portBase}`);
}

/** One GET; resolves {status, headers, bodyLength} or rejects. */
function httpGet(port, timeoutMs = 2000) {
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

async function waitHttp(port, proc, timeoutMs = 10000) {
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
async function waitPort(port, proc, timeoutMs = 10000) {
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

function toolVersion(cmd, args) {
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
function nginxVersion() {
  try {
    const r = execFileSync('sh', ['-c', 'nginx -v 2>&1'], { timeout: 5000 });
    return r.toString().trim();
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Upstream and proxies

async function startNginx(port) {
  const dir = path.join(TMP, 'nginx');
  fs.mkdirSync(dir, { recursive: true });
  const body = 'x'.repeat(cfg.bodyBytes - 1) + '\n';
  // `return 200 '...'` serves the body from memory: the upstream must be as cheap as possible,
  // since it shares its core with the load generator.
  const conf = `# generated by maille bench/bench.mjs
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      default_type text/plain;
      return 200 '${body.trimEnd()}\n';
    }
  }
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const proc = startProcess('nginx', cfg.cpuUpstream, 'nginx', [
    '-p',
    dir,
    '-c',
    path.join(dir, 'nginx.conf'),
    '-e',
    path.join(dir, 'error.log'),
  ]);
  const res = await waitHttp(port, proc);
  if (res.status !== 200 || res.bodyLength !== cfg.bodyBytes)
    throw new Error(`nginx answered ${res.status} with ${res.bodyLength} bytes`);
  return proc;
}

/**
 * `tls`: {role: 'client' | 'server', certs}. The client side originates TLS 1.3 with its client
 * certificate and verifies the server's against the CA; the server side requires a client
 * certificate from the same CA. Same certificates and TLS version as the maille pair.
 */
async function startHaproxy(name, cpu, listenPort, upstreamPort, tls) {
  const file = path.join(TMP, `${name}.cfg`);
  const bindTls = tls?.role === 'server' ? ` ssl crt ${tls.certs.server.pem} ca-file ${tls.certs.ca} verify required ssl-min-ver TLSv1.3` : '';
  const serverTls = tls?.role === 'client' ? ` ssl crt ${tls.certs.client.pem} ca-file ${tls.certs.ca} verify required ssl-min-ver TLSv1.3` : '';
  // A plain L7 proxy: HTTP mode, keep-alive on both sides (HAProxy 2.x default
  // http-keep-alive, server connections reused with the default `http-reuse safe`), no logging,
  // one thread.
  fs.writeFileSync(
    file,
    `# generated by maille bench/bench.mjs
global
  nbthread 1
  maxconn 4000
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend fe
  bind 127.0.0.1:${listenPort}${bindTls}
  default_backend be
backend be
  server upstream 127.0.0.1:${upstreamPort}${serverTls}
`,
  );
  const proc = startProcess(name, cpu, 'haproxy', ['-f', file, '-db']);
  // A TLS listener does not answer plain HTTP: wait for the port instead.
  if (tls?.role === 'server') await waitPort(listenPort, proc);
  else await waitHttp(listenPort, proc);
  return proc;
}

/**
 * `tls`: {role: 'client' | 'server', certs}. The client sidecar's cluster originates mesh mTLS
 * and expects the server's SPIFFE ID; the server sidecar's listener is STRICT. Both load the
 * identity with --identity-cert/--identity-key/--trust-bundle.
 */
async function startMaille(name, cpu, listenPort, upstreamPort, direction, tls) {
  const file = path.join(TMP, `${name}.json`);
  const snapshot = {
    version: `bench-${name}`,
    drainTimeoutMs: 1000,
    listeners: [
      {
        name: 'http',
        address: '127.0.0.1',
        port: listenPort,
        direction,
        protocol: 'http1',
        routeConfig: 'main',
        ...(tls?.role === 'server' ? { mtls: { mode: 'STRICT' } } : {}),
      },
    ],
    routeConfigs: [
      {
        name: 'main',
        virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ forward: { destinations: [{ cluster: 'backend' }] } }] }],
      },
    ],
    clusters: [
      {
        name: 'backend',
        protocol: 'http1',
        endpoints: [{ address: '127.0.0.1', port: upstreamPort }],
        ...(tls?.role === 'client' ? { mtls: { subjectAltNames: [tls.certs.server.id] } } : {}),
      },
    ],
  };
  const me = tls ? tls.certs[tls.role] : undefined;
  const identity = me ? ['--identity-cert', me.cert, '--identity-key', me.key, '--trust-bundle', tls.certs.ca] : [];
  fs.writeFileSync(file, JSON.stringify(snapshot, null, 2) + '\n');
  let onReady;
  const ready = new Promise((r) => (onReady = r));
  const proc = startProcess(
    name,
    cpu,
    'node',
    [...cfg.mailleNodeFlags, path.join(ROOT, 'bin/maille.js'), 'proxy', '--config', file, '--admin-port', '0', ...identity],
    {
      onLine: (line, isStdout) => {
        const m = isStdout && line.match(/^listener\s+(\S+)\s+(\S+):(\d+)\s*$/);
        if (m && m[1] === 'http') onReady(Number(m[3]));
      },
    },
  );
  const timeoutMs = 20000;
  let timer;
  const port = await Promise.race([
    ready,
    proc.exitPromise.then(() => {
      throw new Error(`${name} exited before listening (code ${proc.exitCode}, signal ${proc.signal})`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${name} printed no "listener http <addr>:<port>" line within ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  if (port !== listenPort) throw new Error(`${name} listens on ${port}, configured ${listenPort}`);
  if (tls?.role === 'server') await waitPort(listenPort, proc);
  else await waitHttp(listenPort, proc);
  return proc;
}

// ---------------------------------------------------------------------------------------------
// Load generators

const LUA = path.join(TMP, 'pace.lua');
fs.copyFileSync(path.join(BENCH_DIR, 'pace.lua'), LUA);

/** Runs a bounded load-generator process on the load core; resolves its stdout. */
function runTool(name, cmd, args, env, durationS) {
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
async function wrkRun(port, durationS, rate = 0) {
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
async function heyRun(port, durationS, rate) {
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

// ---------------------------------------------------------------------------------------------
// Measurement

/** Runs `load` while reading CPU of the measured processes and per-core busy time. */
async function measured(procs, nginx, load) {
  const cpu0 = procs.map((p) => cpuSeconds(p.pid));
  const ng0 = cpuSeconds(nginx.pid);
  const cores0 = coreTimes();
  const t0 = process.hrtime.bigint();
  const result = await load();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cores1 = coreTimes();
  const cpu1 = procs.map((p) => cpuSeconds(p.pid));
  const ng1 = cpuSeconds(nginx.pid);
  for (const p of procs) {
    if (p.exited) throw new Error(`${p.name} died during the run (code ${p.exitCode}, signal ${p.signal})`);
  }
  const per1000 = (s) => (result.requests > 0 ? (s * 1000) / result.requests : null);
  result.proxies = procs.map((p, i) => {
    const s = cpu1[i] - cpu0[i];
    return { name: p.name, cpuSeconds: round(s, 3), cores: round(s / wallS, 3), cpuSecondsPer1000: round(per1000(s), 4) };
  });
  const total = cpu1.reduce((a, b) => a + b, 0) - cpu0.reduce((a, b) => a + b, 0);
  result.proxyCpuSecondsPer1000 = procs.length ? round(per1000(total), 4) : null;
  result.nginx = { cpuSeconds: round(ng1 - ng0, 3), cores: round((ng1 - ng0) / wallS, 3) };
  const busy = coreBusy(cores0, cores1);
  result.coreBusy = mapValues(busy, (v) => round(v, 3));
  // Work on the proxy core(s) that is not ours: other jobs on a shared machine. Anything much
  // above 0 means the proxy competed for its core and its numbers are pessimistic.
  if (cfg.pin) {
    result.otherOnProxyCores = {};
    for (const cpu of new Set([cfg.cpuProxy, cfg.cpuProxy2])) {
      if (cpu === cfg.cpuLoad || cpu === cfg.cpuUpstream || busy[`cpu${cpu}`] == null) continue;
      const ours = procs.reduce((a, p, i) => a + (p.cpu === cpu ? result.proxies[i].cores : 0), 0);
      result.otherOnProxyCores[`cpu${cpu}`] = round(Math.max(0, busy[`cpu${cpu}`] - ours), 3);
    }
  }
  result.wallS = round(wallS, 2);
  return result;
}

const SCENARIOS = {
  direct: { chain: [], description: 'client → nginx' },
  haproxy: { chain: ['haproxy'], description: 'client → haproxy → nginx' },
  haproxy2: { chain: ['haproxy', 'haproxy'], description: 'client → haproxy → haproxy → nginx' },
  maille1: { chain: ['maille'], description: 'client → maille → nginx' },
  maille2: {
    chain: ['maille', 'maille'],
    description: 'client → maille (client sidecar, outbound) → maille (server sidecar, inbound) → nginx',
  },
  'haproxy2-mtls': {
    chain: ['haproxy', 'haproxy'],
    mtls: true,
    description: 'client → haproxy ═ TLS 1.3, client certificates ═► haproxy → nginx',
  },
  'maille2-mtls': {
    chain: ['maille', 'maille'],
    mtls: true,
    description: 'client → maille (client sidecar) ═ mesh mTLS (SPIFFE SVIDs) ═► maille (server sidecar, STRICT) → nginx',
  },
};

let meshCerts;
/** The throwaway CA and SVIDs, made once per run. */
function certs() {
  meshCerts ??= makeMeshCerts(path.join(TMP, 'certs'));
  return meshCerts;
}

function noteInterference(res, run, when) {
  for (const [cpu, other] of Object.entries(run.otherOnProxyCores ?? {})) {
    if (other > 0.1) {
      res.warnings = [
        ...(res.warnings ?? []),
        `other processes kept ${cpu} (the proxy core) ${Math.round(other * 100)}% busy ${when}`,
      ];
    }
  }
}

async function runScenario(name, nginxPort, nginx) {
  const sc = SCENARIOS[name];
  const res = { name, description: sc.description, status: 'ok', processes: [] };
  const procs = [];
  const started = Date.now();
  try {
    res.backgroundLoad = await backgroundLoad(1000);
    // Start from the upstream side: the last proxy of the chain talks to nginx.
    let upstream = nginxPort;
    const n = sc.chain.length;
    for (let i = n - 1; i >= 0; i--) {
      const kind = sc.chain[i];
      const port = await allocPort();
      const cpu = i === 0 ? cfg.cpuProxy : cfg.cpuProxy2;
      const role = n === 1 ? '' : i === 0 ? '-client' : '-server';
      const pname = `${name}${role}`;
      // In a pair with mTLS, the hop between the two proxies is the encrypted one.
      const tls = sc.mtls ? { role: i === 0 ? 'client' : 'server', certs: certs() } : undefined;
      const proc =
        kind === 'haproxy'
          ? await startHaproxy(pname, cpu, port, upstream, tls)
          : await startMaille(pname, cpu, port, upstream, n === 1 ? 'outbound' : i === 0 ? 'outbound' : 'inbound', tls);
      proc.cpu = cpu;
      procs.unshift(proc);
      res.processes.unshift({ name: pname, kind, pid: proc.pid, cpu: cfg.pin ? cpu : null, port, upstreamPort: upstream });
      upstream = port;
    }
    const entry = upstream;
    res.entryPort = entry;

    const check = await httpGet(entry);
    res.check = { status: check.status, bodyLength: check.bodyLength, headers: check.headers };
    if (check.status !== 200 || check.bodyLength !== cfg.bodyBytes) {
      throw new Error(`GET / through ${name} answered ${check.status} with ${check.bodyLength} bytes (want 200, ${cfg.bodyBytes})`);
    }
    for (const p of procs) {
      const i = procs.indexOf(p);
      res.processes[i].rssIdleMB = round(statusKB(p.pid, 'VmRSS') / 1024, 1);
    }

    log(`  warm-up ${cfg.warmup}s`);
    if (cfg.warmup > 0) await wrkRun(entry, cfg.warmup);

    log(`  closed loop: wrk -t1 -c${cfg.connections} -d${cfg.duration}s`);
    res.max = await measured(procs, nginx, () => wrkRun(entry, cfg.duration));
    noteInterference(res, res.max, 'in the closed-loop run');
    if (res.max.errors > 0) res.warnings = [...(res.warnings ?? []), `${res.max.errors} errors in the closed-loop run`];

    res.rates = {};
    for (const rate of cfg.rates) {
      log(`  fixed rate ${rate} rps (${cfg.rateTool}, ${cfg.connections} connections, ${cfg.rateDuration}s)`);
      const run = await measured(procs, nginx, () =>
        cfg.rateTool === 'hey' ? heyRun(entry, cfg.rateDuration, rate) : wrkRun(entry, cfg.rateDuration, rate),
      );
      run.target = rate;
      res.rates[rate] = run;
      if (run.errors > 0) res.warnings = [...(res.warnings ?? []), `${run.errors} errors at ${rate} rps`];
      noteInterference(res, run, `at ${rate} rps`);
      if (run.rps < rate * 0.95) res.warnings = [...(res.warnings ?? []), `reached only ${round(run.rps, 0)} of ${rate} rps`];
    }

    // CPU the proxies burn with no traffic at all (timers, GC, housekeeping): a fixed cost that
    // weighs on the per-request figures at low rates.
    if (procs.length) {
      const idle0 = procs.map((p) => cpuSeconds(p.pid));
      const t0 = Date.now();
      await sleep(2000);
      const wallS = (Date.now() - t0) / 1000;
      procs.forEach((p, i) => (res.processes[i].idleCores = round((cpuSeconds(p.pid) - idle0[i]) / wallS, 3)));
    }
    for (const p of procs) {
      const i = procs.indexOf(p);
      res.processes[i].rssPeakMB = round(statusKB(p.pid, 'VmHWM') / 1024, 1);
      res.processes[i].rssEndMB = round(statusKB(p.pid, 'VmRSS') / 1024, 1);
      res.processes[i].processCount = processTree(p.pid).length;
    }
  } catch (e) {
    res.status = 'failed';
    res.error = e instanceof Error ? e.message : String(e);
    const tails = {};
    for (const p of procs) tails[p.name] = logTail(p);
    // A process that failed to start is not in procs yet: its log is still in TMP.
    for (const f of fs.readdirSync(TMP)) {
      const base = f.replace(/\.log$/, '');
      if (f.endsWith('.log') && base.startsWith(name) && !tails[base]) {
        tails[base] = logTail({ logPath: path.join(TMP, f) });
      }
    }
    res.logTails = tails;
  } finally {
    await Promise.all(procs.map((p) => stopProcess(p)));
    res.seconds = round((Date.now() - started) / 1000, 1);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Report

function log(msg) {
  console.log(msg);
}

const ms = (us) => (us == null ? null : us / 1000);
function fmtMs(us, signed = false) {
  if (us == null) return '-';
  const v = us / 1000;
  return (signed && v >= 0 ? '+' : '') + v.toFixed(2);
}
function fmtNum(n, d = 0) {
  if (n == null || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function table(rows, align) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => {
          const s = String(cell);
          return (align?.[c] ?? (c === 0 ? 'l' : 'r')) === 'l' ? s.padEnd(widths[c]) : s.padStart(widths[c]);
        })
        .join('  ')
        .trimEnd(),
    )
    .map((l) => '  ' + l)
    .join('\n');
}

const PCTS = ['p50', 'p90', 'p99', 'max'];

function added(res, direct, rate, pct) {
  const a = res?.rates?.[rate]?.latUs?.[pct];
  const b = direct?.rates?.[rate]?.latUs?.[pct];
  return a == null || b == null ? null : a - b;
}

function printScenario(res, direct) {
  log('');
  log(`── ${res.name}: ${res.description} ${'─'.repeat(Math.max(0, 70 - res.name.length - res.description.length))}`);
  for (const p of res.processes) {
    log(`  ${p.name}: ${p.kind}, pid ${p.pid}${p.cpu != null ? `, cpu ${p.cpu}` : ''}, :${p.port} → :${p.upstreamPort}`);
  }
  if (res.status !== 'ok') {
    log(`  FAILED: ${res.error}`);
    for (const [n, t] of Object.entries(res.logTails ?? {})) {
      if (t) log(`  last lines of ${n}'s output:\n${t.replace(/^/gm, '    | ')}`);
    }
    return;
  }
  const m = res.max;
  log(
    `  closed loop: ${fmtNum(m.rps)} rps   latency p50 ${fmtMs(m.latUs.p50)} p90 ${fmtMs(m.latUs.p90)} ` +
      `p99 ${fmtMs(m.latUs.p99)} max ${fmtMs(m.latUs.max)} ms   errors ${m.errors}`,
  );
  const busy = Object.entries(m.coreBusy)
    .filter(([k]) => k !== 'cpu')
    .map(([k, v]) => `${k} ${Math.round(v * 100)}%`)
    .join(', ');
  for (const p of m.proxies) {
    log(`    ${p.name}: ${p.cores} cores busy, ${p.cpuSecondsPer1000} CPU s per 1000 requests`);
  }
  log(`    nginx ${m.nginx.cores} cores; machine: ${busy}`);
  const rows = [['rate', 'achieved', 'p50', 'p90', 'p99', 'max', '+p50', '+p90', '+p99', '+max', 'CPU s/1k req', 'err']];
  for (const [rate, r] of Object.entries(res.rates)) {
    const cpu = r.proxies.length ? r.proxies.map((p) => p.cpuSecondsPer1000).join(' + ') : '-';
    rows.push([
      rate,
      fmtNum(r.rps),
      ...PCTS.map((p) => fmtMs(r.latUs[p])),
      ...PCTS.map((p) => (res.name === 'direct' ? '' : fmtMs(added(res, direct, rate, p), true))),
      cpu,
      r.errors,
    ]);
  }
  log('  fixed rates (latency in ms; +: added over direct at the same rate):');
  log(table(rows));
  for (const p of res.processes) {
    log(`  ${p.name}: RSS ${p.rssIdleMB} MB after start, peak ${p.rssPeakMB} MB; ${p.idleCores} cores busy when idle after the load`);
  }
  for (const w of res.warnings ?? []) log(`  warning: ${w}`);
  if (res.backgroundLoad.cores > 0.1) {
    log(`  warning: ${res.backgroundLoad.cores} cores were busy with other work just before this scenario`);
  }
}

function ok(res) {
  return res && res.status === 'ok';
}

function computeSummary(results) {
  const r = results;
  const rps = (n) => (ok(r[n]) ? r[n].max.rps : null);
  /** Requests per second one full core of the proxy processes could serve, from CPU at max load. */
  const perCore = (n) => (ok(r[n]) && r[n].max.proxyCpuSecondsPer1000 ? 1000 / r[n].max.proxyCpuSecondsPer1000 : null);
  const ratio = (a, b) => (a != null && b ? round(a / b, 3) : null);
  const ratios = {
    maille1_vs_haproxy: ratio(rps('maille1'), rps('haproxy')),
    maille1_vs_direct: ratio(rps('maille1'), rps('direct')),
    maille2_vs_haproxy2: ratio(rps('maille2'), rps('haproxy2')),
    haproxy_vs_direct: ratio(rps('haproxy'), rps('direct')),
    maille1_vs_haproxy_per_core: ratio(perCore('maille1'), perCore('haproxy')),
    maille2_vs_haproxy2_per_core: ratio(perCore('maille2'), perCore('haproxy2')),
    maille2_mtls_vs_haproxy2_mtls: ratio(rps('maille2-mtls'), rps('haproxy2-mtls')),
    maille2_mtls_vs_maille2: ratio(rps('maille2-mtls'), rps('maille2')),
    maille2_mtls_vs_direct: ratio(rps('maille2-mtls'), rps('direct')),
    maille2_mtls_vs_haproxy2_mtls_per_core: ratio(perCore('maille2-mtls'), perCore('haproxy2-mtls')),
  };
  const addedMs = (n, rate, pct) => round(ms(added(r[n], r.direct, rate, pct)), 3);
  const pairAdded = {};
  for (const n of ['maille1', 'maille2', 'haproxy', 'haproxy2', 'maille2-mtls', 'haproxy2-mtls']) {
    if (ok(r[n]) && ok(r.direct)) pairAdded[n] = Object.fromEntries(PCTS.map((p) => [p, addedMs(n, 1000, p)]));
  }
  const perProcess = {};
  for (const n of ['maille1', 'maille2', 'haproxy', 'haproxy2', 'maille2-mtls', 'haproxy2-mtls']) {
    if (!ok(r[n])) continue;
    perProcess[n] = r[n].processes.map((p, i) => ({
      name: p.name,
      rssPeakMB: p.rssPeakMB,
      coresPer1000RpsAt1000: r[n].rates[1000]?.proxies[i]?.cpuSecondsPer1000 ?? null,
      coresPer1000RpsAtMax: r[n].max.proxies[i]?.cpuSecondsPer1000 ?? null,
    }));
  }

  const targets = [];
  const target = (id, description, value, limit, pass, note) =>
    targets.push({ id, description, value, limit, result: value == null ? 'n/a' : pass ? 'PASS' : 'FAIL', note });
  target(
    'throughput',
    'one maille proxy: closed-loop max throughput ≥ 0.8× one HAProxy',
    ratios.maille1_vs_haproxy,
    TARGETS.throughputVsHaproxy,
    ratios.maille1_vs_haproxy >= TARGETS.throughputVsHaproxy,
    ratios.maille1_vs_haproxy_per_core != null ? `per core of proxy CPU: ${ratios.maille1_vs_haproxy_per_core}×` : undefined,
  );
  const p99 = pairAdded.maille2?.p99 ?? null;
  target(
    'pair-latency',
    'two chained maille proxies add ≤ 1 ms at p99 at 1000 rps',
    p99,
    TARGETS.pairAddedP99Ms,
    p99 != null && p99 <= TARGETS.pairAddedP99Ms,
    pairAdded.haproxy2 ? `two HAProxy add ${pairAdded.haproxy2.p99} ms` : undefined,
  );
  const mailleProcs = [...(perProcess.maille1 ?? []), ...(perProcess.maille2 ?? []), ...(perProcess['maille2-mtls'] ?? [])];
  /** Highest value of k over the maille processes; null when any of them lacks it. */
  const maxOf = (k) => {
    const v = mailleProcs.length ? Math.max(...mailleProcs.map((p) => p[k] ?? Infinity)) : null;
    return Number.isFinite(v) ? v : null;
  };
  const rssMax = maxOf('rssPeakMB');
  target('rss', 'each maille proxy: peak RSS < 60 MB', rssMax, TARGETS.rssMB, rssMax < TARGETS.rssMB);
  const coresMax = maxOf('coresPer1000RpsAt1000');
  target(
    'cpu',
    'each maille proxy: < 0.2 cores per 1000 rps (measured at 1000 rps)',
    coresMax,
    TARGETS.coresPer1000Rps,
    coresMax < TARGETS.coresPer1000Rps,
  );
  // Scenarios where other work on the machine competed with ours (see noteInterference).
  const disturbedScenarios = Object.keys(r).filter(
    (n) =>
      (r[n]?.warnings ?? []).some((w) => w.startsWith('other processes')) || r[n]?.backgroundLoad?.cores > 0.1,
  );
  return { ratios, addedAt1000RpsMs: pairAdded, perProcess, targets, disturbedScenarios };
}

function printSummary(results, summary) {
  const names = cfg.scenarios;
  log('');
  log('═'.repeat(90));
  log('Summary');
  const rows = [['scenario', 'status', 'max rps', 'proxy cores@max', 'rps per proxy core', 'CPU s/1k req @max', 'peak RSS MB']];
  for (const n of names) {
    const r = results[n];
    if (!ok(r)) {
      rows.push([n, 'FAILED', '-', '-', '-', '-', '-']);
      continue;
    }
    const cores = r.max.proxies.map((p) => p.cores).join(' + ') || '-';
    const perCore = r.max.proxyCpuSecondsPer1000 ? fmtNum(1000 / r.max.proxyCpuSecondsPer1000) : '-';
    const rss = r.processes.map((p) => p.rssPeakMB).join(' + ') || '-';
    rows.push([n, 'ok', fmtNum(r.max.rps), cores, perCore, r.max.proxyCpuSecondsPer1000 ?? '-', rss]);
  }
  log(table(rows));

  for (const rate of cfg.rates) {
    log('');
    log(`At ${rate} rps (${cfg.connections} connections, ${cfg.rateDuration}s, ${cfg.rateTool}); latency in ms, +: added over direct`);
    const rr = [['scenario', 'achieved', 'p50', 'p90', 'p99', 'max', '+p50', '+p90', '+p99', '+max', 'proxy CPU s/1k req']];
    for (const n of names) {
      const r = results[n];
      const x = r?.rates?.[rate];
      if (!ok(r) || !x) {
        rr.push([n, 'FAILED', '', '', '', '', '', '', '', '', '']);
        continue;
      }
      rr.push([
        n,
        fmtNum(x.rps),
        ...PCTS.map((p) => fmtMs(x.latUs[p])),
        ...PCTS.map((p) => (n === 'direct' ? '' : fmtMs(added(r, results.direct, rate, p), true))),
        x.proxyCpuSecondsPer1000 ?? '-',
      ]);
    }
    log(table(rr));
  }

  log('');
  log('Ratios');
  const s = summary.ratios;
  const line = (label, v) => log(`  ${label.padEnd(46)} ${v ?? 'n/a'}`);
  line('maille1 / haproxy (max rps)', s.maille1_vs_haproxy);
  line('maille1 / direct (max rps)', s.maille1_vs_direct);
  line('maille2 / haproxy2 (max rps)', s.maille2_vs_haproxy2);
  line('haproxy / direct (max rps)', s.haproxy_vs_direct);
  line('maille1 / haproxy (rps per proxy core)', s.maille1_vs_haproxy_per_core);
  line('maille2 / haproxy2 (rps per proxy core)', s.maille2_vs_haproxy2_per_core);
  line('maille2-mtls / haproxy2-mtls (max rps)', s.maille2_mtls_vs_haproxy2_mtls);
  line('maille2-mtls / haproxy2-mtls (rps per proxy core)', s.maille2_mtls_vs_haproxy2_mtls_per_core);
  line('maille2-mtls / maille2 (cost of mTLS)', s.maille2_mtls_vs_maille2);
  line('maille2-mtls / direct (max rps)', s.maille2_mtls_vs_direct);
  for (const [n, a] of Object.entries(summary.addedAt1000RpsMs)) {
    line(`${n}: added p50/p90/p99/max at 1000 rps (ms)`, PCTS.map((p) => a[p]).join(' / '));
  }
  for (const [n, procs] of Object.entries(summary.perProcess)) {
    for (const p of procs) {
      line(
        `${p.name}: RSS MB, cores/1000 rps @1000 / @max`,
        `${p.rssPeakMB} MB, ${p.coresPer1000RpsAt1000 ?? '-'} / ${p.coresPer1000RpsAtMax ?? '-'}`,
      );
    }
    void n;
  }

  const disturbed = summary.disturbedScenarios;
  if (disturbed.length) {
    log('');
    log(
      `Caution: other work on the machine competed with the measured processes in ${disturbed.join(', ')} ` +
        '(see the warnings above); latency and CPU figures there are pessimistic. Rerun on a quiet machine.',
    );
  }

  log('');
  log('Targets (issue 2)');
  for (const t of summary.targets) {
    log(`  [${t.result.padEnd(4)}] ${t.description}: ${t.value ?? 'n/a'} (limit ${t.limit})${t.note ? `; ${t.note}` : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const startedAt = new Date();
  const environment = {
    node: process.version,
    haproxy: toolVersion('haproxy', ['-v']),
    nginx: nginxVersion(),
    wrk: toolVersion('wrk', ['-v']),
    kernel: os.release(),
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    commit: (() => {
      try {
        return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim();
      } catch {
        return null;
      }
    })(),
  };
  log(`maille bench: ${cfg.scenarios.join(', ')}${cfg.quick ? ' (quick)' : ''}`);
  log(
    `  closed loop ${cfg.duration}s, fixed rates ${cfg.rates.join('/')} rps × ${cfg.rateDuration}s, warm-up ${cfg.warmup}s, ` +
      `${cfg.connections} connections, ${cfg.bodyBytes} B body`,
  );
  log(
    cfg.pin
      ? `  pinning: load generator + nginx on cpu ${cfg.cpuLoad}/${cfg.cpuUpstream}, proxy on cpu ${cfg.cpuProxy}, second proxy of a chain on cpu ${cfg.cpuProxy2}`
      : '  pinning: off',
  );
  if (cfg.nice !== 0) log(`  every process started with nice ${cfg.nice}`);
  log(`  ${environment.haproxy}; ${environment.nginx}; ${environment.wrk}; node ${environment.node}; ${environment.cpu} × ${environment.cores}`);
  if (os.cpus().length < 2 && cfg.pin) log('  warning: fewer than 2 cores; pinning puts everything on one core');

  const nginxPort = await allocPort();
  const nginx = await startNginx(nginxPort);
  log(`  nginx pid ${nginx.pid} on 127.0.0.1:${nginxPort}`);

  const results = {};
  for (const name of cfg.scenarios) {
    if (aborting) break;
    log('');
    log(`▶ ${name}: ${SCENARIOS[name].description}`);
    results[name] = await runScenario(name, nginxPort, nginx);
    if (aborting) break;
    if (nginx.exited) throw new Error(`nginx died (code ${nginx.exitCode}); see ${nginx.logPath}`);
    printScenario(results[name], results.direct);
    await new Promise((r) => setTimeout(r, 500));
  }
  await stopProcess(nginx);

  const summary = computeSummary(results);
  printSummary(results, summary);

  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config: cfg,
    targets: TARGETS,
    environment,
    scenarios: results,
    summary,
  };
  fs.mkdirSync(cfg.resultsDir, { recursive: true });
  const file = path.join(cfg.resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  log('');
  log(`results written to ${path.relative(process.cwd(), file) || file}`);
  const failed = cfg.scenarios.filter((n) => !ok(results[n]));
  if (failed.length) log(`failed scenarios: ${failed.join(', ')}`);
  return failed.length ? 2 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench: ${err instanceof Error ? err.stack : err}`);
    process.exit(1);
  },
);
