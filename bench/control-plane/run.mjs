// Control plane at scale (issue 3): the real control plane in one process, thousands of simulated
// proxies on real HTTP/2 + mTLS streams in others, and configuration changes applied one at a time.
// Measures the initial full sync, the time from each apply until every affected proxy has ACKed,
// and the control plane's peak RSS and CPU time. See bench/README.md.
//
//   npm run bench:control-plane
//   BENCH_QUICK=1 npm run bench:control-plane
import console from 'node:console';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { affectedProxies, changes, MESH_WIDE_KINDS, now, topology } from './topology.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const QUICK = process.env.BENCH_QUICK === '1';
const num = (name, def) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v}: expected a non-negative number`);
  return n;
};

const settings = {
  services: num('BENCH_CP_SERVICES', QUICK ? 250 : 1000),
  proxies: num('BENCH_CP_PROXIES', QUICK ? 500 : 2000),
  namespaces: num('BENCH_CP_NAMESPACES', QUICK ? 10 : 20),
  scoped: num('BENCH_CP_SCOPED', QUICK ? 8 : 20),
  /** Mesh-wide changes: they take the kinds of MESH_WIDE_KINDS in turn (two rounds; one when quick). */
  global: num('BENCH_CP_GLOBAL', QUICK ? MESH_WIDE_KINDS.length : 2 * MESH_WIDE_KINDS.length),
  clientProcs: num('BENCH_CP_CLIENT_PROCS', 1),
  client: process.env.BENCH_CP_CLIENT ?? 'light',
  /** Light clients announce delta support (the full client always does). */
  delta: process.env.BENCH_CP_DELTA !== '0',
  connectConcurrency: num('BENCH_CP_CONNECT_CONCURRENCY', 32),
  applyTimeoutS: num('BENCH_CP_APPLY_TIMEOUT', 60),
  syncTimeoutS: num('BENCH_CP_SYNC_TIMEOUT', 600),
  nodeFlags: (process.env.BENCH_CP_NODE_FLAGS ?? '').split(' ').filter(Boolean),
  tmpDir: fs.mkdtempSync(path.join(os.tmpdir(), 'maille-bench-cp.')),
};
if (!['light', 'full'].includes(settings.client)) throw new Error(`BENCH_CP_CLIENT=${settings.client}: use light or full`);
const TARGETS = { p99Ms: 1000, rssMB: 1024 };

const log = (msg) => console.log(msg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------------
// Processes and their IPC

const children = [];
function start(file, env, flags = []) {
  const child = fork(path.join(HERE, file), [], {
    env: { ...process.env, MAILLE_LOG_LEVEL: process.env.MAILLE_LOG_LEVEL ?? 'error', BENCH_CP_SETTINGS: JSON.stringify(settings), ...env },
    execArgv: flags,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const waiting = new Map();
  let nextId = 1;
  child.on('message', (m) => {
    if (m.id !== undefined && waiting.has(m.id)) {
      const { resolve, reject } = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error) reject(new Error(`${file}: ${m.error}`));
      else resolve(m);
    }
  });
  child.on('exit', (code, signal) => {
    for (const { reject } of waiting.values()) reject(new Error(`${file} exited (${code ?? signal})`));
    waiting.clear();
  });
  return {
    child,
    call: (msg, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${file}: no answer to ${msg.cmd} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
        child.send({ ...msg, id });
      }),
    next: (cmd, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${file}: no ${cmd} within ${timeoutMs} ms`)), timeoutMs);
        const on = (m) => {
          if (m.cmd === cmd) {
            clearTimeout(timer);
            child.off('message', on);
            resolve(m);
          }
        };
        child.on('message', on);
        child.once('exit', (code) => reject(new Error(`${file} exited (${code}) while waiting for ${cmd}`)));
      }),
  };
}

function stopAll() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(settings.tmpDir, { recursive: true, force: true });
}
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// ------------------------------------------------------------------------------------------------
// Figures

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
const fmt = (n, d = 0) => (n == null ? '-' : n.toFixed(d));
function table(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ')).join('\n');
}

/** Busy cores of the machine over `ms` (other helpers' work shows up here). */
async function backgroundLoad(ms) {
  const read = () => fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const a = read();
  await sleep(ms);
  const b = read();
  const d = b.map((v, i) => v - a[i]);
  const total = d.reduce((x, y) => x + y, 0);
  const idle = d[3] + d[4];
  return total === 0 ? 0 : ((total - idle) / total) * os.cpus().length;
}

// ------------------------------------------------------------------------------------------------

async function main() {
  log(`control-plane bench: ${settings.services} services, ${settings.proxies} proxies in ${settings.namespaces} namespaces, ` +
    `${settings.scoped} scoped + ${settings.global} mesh-wide changes, client ${settings.client} × ${settings.clientProcs} process(es), deltas ${settings.delta ? 'on' : 'off'}${QUICK ? ' (quick)' : ''}`);
  if (!fs.existsSync(path.join(ROOT, 'dist/src/control-plane/control-plane.js')) || process.env.BENCH_CP_BUILD !== '0') {
    log('building dist/ (npx tsc -p tsconfig.json; BENCH_CP_BUILD=0 skips)');
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'pipe' });
    } catch (err) {
      log(`warning: tsc reported errors; carrying on with what it emitted:\n${String(err.stdout).split('\n').slice(0, 10).join('\n')}`);
    }
  }
  const load = await backgroundLoad(1000);
  log(`background load before the run: ${load.toFixed(2)} busy cores of ${os.cpus().length}`);
  const topo = topology(settings);
  const deadline = Date.now() + settings.syncTimeoutS * 1000;

  // 1. The control plane.
  const server = start('server.mjs', {}, settings.nodeFlags);
  const ready = await server.next('ready', 120_000);
  log(`control plane up in ${fmt(ready.setupMs)} ms (registry filled, ${settings.proxies} proxies expected): RSS ${fmt(ready.rssMB)} MB`);
  const before = await server.call({ cmd: 'stats' });

  // 2. The proxies connect: CSR → SVID → mTLS stream → first snapshot → ACK.
  const per = Math.ceil(settings.proxies / settings.clientProcs);
  const clients = [];
  for (let i = 0; i < settings.clientProcs; i++) {
    const from = i * per;
    const to = Math.min(settings.proxies, from + per);
    if (from >= to) break;
    const c = start('proxies.mjs', { BENCH_CP_SLICE: JSON.stringify([from, to]) });
    await c.next('ready', 60_000);
    c.slice = [from, to];
    let errors = 0;
    c.child.on('message', (m) => {
      if (m.cmd === 'error' && errors++ < 5) log(`  proxy ${m.index}: ${m.error}`);
    });
    clients.push(c);
  }
  const syncStart = now();
  const progress = setInterval(async () => {
    const s = await server.call({ cmd: 'status' }).catch(() => undefined);
    if (s) log(`  … ${s.connected} connected, ${JSON.stringify(s.counts)} (${fmt((now() - syncStart) / 1000, 1)} s)`);
  }, 10_000);
  for (const c of clients) c.child.send({ cmd: 'start', port: ready.port, trustBundlePem: ready.trustBundlePem, tokens: ready.tokens, concurrency: settings.connectConcurrency });
  const syncs = await Promise.all(clients.map((c) => c.next('synced', Math.max(1000, deadline - Date.now()))));
  clearInterval(progress);
  const syncMs = Math.max(...syncs.map((s) => s.at)) - syncStart;
  const syncErrors = syncs.reduce((a, s) => a + s.errors, 0);
  const afterSync = await server.call({ cmd: 'stats' });
  log(`initial sync: ${settings.proxies - syncErrors} proxies ACKed their first snapshot in ${fmt(syncMs / 1000, 2)} s` +
    `${syncErrors ? ` (${syncErrors} failed)` : ''}; control plane CPU ${fmt(afterSync.cpuS - before.cpuS, 1)} s, RSS ${fmt(afterSync.rssMB)} MB`);

  // The control plane's cost of merely holding the streams (keepalive pings, timers): it is in
  // every change's CPU figure too.
  await settle(clients);
  const idle0 = await server.call({ cmd: 'stats' });
  await sleep(3000);
  const idleCores = ((await server.call({ cmd: 'stats' })).cpuS - idle0.cpuS) / 3;
  log(`idle with ${settings.proxies} streams: ${fmt(idleCores, 3)} cores`);

  // 3. Changes, one at a time, each after the previous one settled.
  const results = [];
  for (const change of changes(topo, settings)) {
    await settle(clients);
    const indexes = affectedProxies(topo, change.affected);
    const cpuBefore = (await server.call({ cmd: 'stats' })).cpuS;
    const trafficBefore = await traffic(clients);
    const { t0 } = await server.call({ cmd: 'apply', resource: change.resource });
    const { acks, others } = await waitAcks(clients, t0, indexes, settings.applyTimeoutS * 1000);
    const cpuAfter = (await server.call({ cmd: 'stats' })).cpuS;
    const trafficAfter = await traffic(clients);
    const lat = acks.map((t) => (t == null ? null : t - t0));
    const missing = lat.filter((x) => x == null).length;
    const done = lat.filter((x) => x != null).sort((a, b) => a - b);
    const r = { kind: change.kind, what: change.what, label: change.label, affected: indexes.length, missing, othersPushed: others, allAckedMs: missing ? null : done[done.length - 1], p50ProxyMs: pct(done, 50), cpuS: cpuAfter - cpuBefore,
      receivedMB: (trafficAfter.bytes - trafficBefore.bytes) / 1048576, full: trafficAfter.full - trafficBefore.full, deltas: trafficAfter.deltas - trafficBefore.deltas };
    results.push(r);
    log(`  ${r.kind.padEnd(9)} ${r.label}: ${r.affected} affected, all ACKed in ${fmt(r.allAckedMs)} ms (median proxy ${fmt(r.p50ProxyMs)} ms)` +
      `${missing ? `, ${missing} never ACKed` : ''}${others ? `, ${others} unaffected proxies got a push` : ''}; CPU ${fmt(r.cpuS, 2)} s` +
      (settings.client === 'light' ? `; received ${fmt(r.receivedMB, 2)} MB (${r.full} whole, ${r.deltas} deltas)` : ''));
  }
  const final = await server.call({ cmd: 'stats' });
  const loadAfter = await backgroundLoad(1000);
  await server.call({ cmd: 'stop' }).catch(() => {});
  for (const c of clients) c.child.send({ cmd: 'stop' });

  // 4. Report.
  const all = results.map((r) => r.allAckedMs ?? Infinity).sort((a, b) => a - b);
  const rows = [['changes', 'n', 'affected', 'p50 ms', 'p99 ms', 'max ms', 'CPU s/change']];
  // Per kind of mesh-wide change, then scoped, mesh-wide and every change together.
  const groups = [
    ...MESH_WIDE_KINDS.map((what) => [`  mesh-wide ${what}`, (r) => r.kind === 'mesh-wide' && r.what === what]),
    ['scoped', (r) => r.kind === 'scoped'],
    ['mesh-wide', (r) => r.kind === 'mesh-wide'],
    ['all', () => true],
  ];
  for (const [name, selects] of groups) {
    const rs = results.filter(selects);
    if (rs.length === 0) continue;
    const l = rs.map((r) => r.allAckedMs ?? Infinity).sort((a, b) => a - b);
    rows.push([name, rs.length, [...new Set(rs.map((r) => r.affected))].join(', '), fmt(pct(l, 50)), fmt(pct(l, 99)), fmt(l[l.length - 1]), fmt(rs.reduce((a, r) => a + r.cpuS, 0) / rs.length, 2)]);
  }
  log('\napply → every affected proxy ACKed');
  log(table(rows));
  const p99 = pct(all, 99);
  const summary = [
    ['figure', 'measured', 'target', ''],
    ['apply→all ACKed p99', `${fmt(p99)} ms`, `< ${TARGETS.p99Ms} ms`, p99 < TARGETS.p99Ms ? 'ok' : 'MISSED'],
    ['control plane peak RSS', `${fmt(final.maxRssMB)} MB`, `< ${TARGETS.rssMB} MB`, final.maxRssMB < TARGETS.rssMB ? 'ok' : 'MISSED'],
    ['control plane CPU (whole run)', `${fmt(final.cpuS, 1)} s`, '', ''],
    ['initial sync (all first ACKs)', `${fmt(syncMs / 1000, 2)} s`, '', ''],
    ['CPU during initial sync', `${fmt(afterSync.cpuS - before.cpuS, 1)} s`, '', ''],
    ['CPU when idle (streams open)', `${fmt(idleCores, 3)} cores`, '', ''],
  ];
  log(`\n${table(summary)}`);
  log(`(istiod is documented at 1 vCPU and 1.5 GB for 1,000 services and 2,000 sidecars)`);
  if (load > 0.5 || loadAfter > 0.5) log(`warning: other work kept ${fmt(Math.max(load, loadAfter), 2)} cores busy around this run; figures are pessimistic`);

  const out = path.join(process.env.BENCH_RESULTS_DIR ?? path.join(ROOT, 'bench/results'), `control-plane-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ settings: { ...settings, tmpDir: undefined }, backgroundLoad: [load, loadAfter], syncMs, syncErrors, idleCores, stats: { before, afterSync, final }, results }, null, 2));
  log(`results: ${path.relative(ROOT, out)}`);
  const failed = results.some((r) => r.missing > 0) || syncErrors > 0;
  process.exit(failed ? 2 : 0);
}

/** Bytes and messages the simulated proxies received so far (light mode counts them). */
async function traffic(clients) {
  const parts = await Promise.all(clients.map((c) => c.call({ cmd: 'traffic' })));
  return parts.reduce((a, p) => ({ bytes: a.bytes + p.bytes, full: a.full + p.full, deltas: a.deltas + p.deltas }), { bytes: 0, full: 0, deltas: 0 });
}

/** Wait until no ACK has been sent for a little while: the previous change has fully landed. */
async function settle(clients) {
  for (let i = 0; i < 200; i++) {
    const lasts = await Promise.all(clients.map((c) => c.call({ cmd: 'lastAck' })));
    if (now() - Math.max(...lasts.map((l) => l.last)) > 300) return;
    await sleep(100);
  }
}

async function waitAcks(clients, since, indexes, timeoutMs) {
  const stop = Date.now() + timeoutMs;
  for (;;) {
    const parts = await Promise.all(
      clients.map((c) => c.call({ cmd: 'acks', since, indexes: indexes.filter((i) => i >= c.slice[0] && i < c.slice[1]) })),
    );
    const acks = parts.flatMap((p) => p.acks);
    const others = parts.reduce((a, p) => a + p.others, 0);
    if (acks.every((t) => t != null) || Date.now() > stop) {
      // Unaffected proxies that still get a push show up a little later; give them a moment.
      await sleep(300);
      const late = await Promise.all(clients.map((c) => c.call({ cmd: 'acks', since, indexes: indexes.filter((i) => i >= c.slice[0] && i < c.slice[1]) })));
      return { acks, others: Math.max(others, late.reduce((a, p) => a + p.others, 0)) };
    }
    await sleep(25);
  }
}

main().catch((err) => {
  console.error(`control-plane bench failed: ${err.stack ?? err}`);
  process.exit(1);
});
