// The temp dir, child processes (pinned, logged, listed in $BENCH_TMPDIR/pids) and cleanup on exit
// or signal.
import { execFileSync, spawn } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { ROOT, cfg } from './settings.mjs';

// ---------------------------------------------------------------------------------------------
// Temp dir, child processes, cleanup

export const ownTmp = !process.env.BENCH_TMPDIR;
export const TMP = process.env.BENCH_TMPDIR || fs.mkdtempSync(path.join(os.tmpdir(), 'maille-bench.'));
export const PIDS_FILE = path.join(TMP, 'pids');
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Live children: pid -> {name, child}. */
export const children = new Map();
export let aborting = false;

/** The command line that runs cmd pinned to `cpu` (and reniced with BENCH_NICE). */
export function pinned(cpu, cmd, args) {
  let argv = [cmd, ...args];
  if (cfg.nice !== 0) argv = ['nice', '-n', String(cfg.nice), ...argv];
  if (cfg.pin) argv = ['taskset', '-c', String(cpu), ...argv];
  return [argv[0], argv.slice(1)];
}

/**
 * Starts a process (pinned to `cpu`), stdout/stderr appended to TMP/<name>.log and, when
 * `onLine` is given, fed to it line by line.
 */
export function startProcess(name, cpu, cmd, args, { onLine, env } = {}) {
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

export async function stopProcess(proc, graceMs = 3000) {
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

export function killAllSync() {
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

export function logTail(proc, lines = 15) {
  try {
    const text = fs.readFileSync(proc.logPath, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
