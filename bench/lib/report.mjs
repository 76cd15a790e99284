// Tables per scenario, the summary (ratios, added latency, per-process figures) and the targets.
import console from 'node:console';
import { round } from './helpers.mjs';
import { TARGETS, cfg } from './settings.mjs';

// ---------------------------------------------------------------------------------------------
// Report

export function log(msg) {
  console.log(msg);
}

export const ms = (us) => (us == null ? null : us / 1000);
export function fmtMs(us, signed = false) {
  if (us == null) return '-';
  const v = us / 1000;
  return (signed && v >= 0 ? '+' : '') + v.toFixed(2);
}
export function fmtNum(n, d = 0) {
  if (n == null || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

export function table(rows, align) {
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

export const PCTS = ['p50', 'p90', 'p99', 'max'];

export function added(res, direct, rate, pct) {
  const a = res?.rates?.[rate]?.latUs?.[pct];
  const b = direct?.rates?.[rate]?.latUs?.[pct];
  return a == null || b == null ? null : a - b;
}

export function printScenario(res, direct) {
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

export function ok(res) {
  return res && res.status === 'ok';
}

export function computeSummary(results) {
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

export function printSummary(results, summary) {
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
