// /proc readings: CPU seconds of a process tree, RSS fields, per-core busy time.
import fs from 'node:fs';
import { mapValues, round } from './helpers.mjs';
import { CLK_TCK, sleep } from './processes.mjs';

// ---------------------------------------------------------------------------------------------
// /proc readings

export function readStat(pid) {
  // Fields after the command name, which is in parentheses and may contain anything.
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(rest[1]), utime: Number(rest[11]), stime: Number(rest[12]) };
}

/** pid and all its descendants (a proxy that forks workers is measured as a whole). */
export function processTree(pid) {
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
export function cpuSeconds(pid) {
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

export function statusKB(pid, field) {
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
export function coreTimes() {
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

export function coreBusy(before, after) {
  const out = {};
  for (const k of Object.keys(after)) {
    if (!before[k]) continue;
    const total = after[k].total - before[k].total;
    out[k] = total > 0 ? (after[k].busy - before[k].busy) / total : 0;
  }
  return out;
}

/** Cores busy on the machine over `ms`, from /proc/stat (to spot other work on the machine). */
export async function backgroundLoad(ms) {
  const a = coreTimes();
  await sleep(ms);
  const b = coreTimes();
  const busy = coreBusy(a, b);
  const n = Object.keys(busy).filter((k) => k !== 'cpu').length;
  return { cores: round(busy.cpu * n, 3), perCore: mapValues(busy, (v) => round(v, 3)) };
}
