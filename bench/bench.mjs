// maille benchmark harness: direct vs HAProxy vs maille, side by side in one run, on loopback.
//
// Started by bench/run.sh (which builds dist/, pins this script to the load-generator core and
// cleans up behind it). See bench/README.md for the method and what each number means.
//
// Layout (2 cores): the load generator (wrk) and the upstream (nginx, 1 KB body) share the
// "load" core; the proxy or proxies under test get the other core to themselves. Every process
// this script starts is pinned with taskset, logged in $BENCH_TMPDIR/pids and stopped on exit,
// failure or Ctrl-C.
//
// The pieces: lib/settings.mjs (environment), lib/processes.mjs (children, cleanup), lib/servers.mjs
// (nginx, HAProxy, maille), lib/load.mjs (wrk, hey), lib/proc-stats.mjs (/proc), lib/report.mjs
// (tables, ratios, targets), lib/certs.mjs (mTLS certificates). This file: the scenarios and the run.
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { makeMeshCerts } from './lib/certs.mjs';
import { allocPort, httpGet, mapValues, nginxVersion, round, toolVersion } from './lib/helpers.mjs';
import { heyRun, wrkRun } from './lib/load.mjs';
import { backgroundLoad, coreBusy, coreTimes, cpuSeconds, processTree, statusKB } from './lib/proc-stats.mjs';
import { TMP, aborting, logTail, sleep, stopProcess } from './lib/processes.mjs';
import { computeSummary, log, ok, printScenario, printSummary } from './lib/report.mjs';
import { startHaproxy, startMaille, startNginx } from './lib/servers.mjs';
import { ROOT, TARGETS, cfg } from './lib/settings.mjs';

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
