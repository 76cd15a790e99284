// Processes a `maille run` that did not stop cleanly left behind. Ctrl-C stops every process group,
// but a launcher that is killed (SIGKILL, OOM) or crashes cannot: its sidecars exit with it (their
// control plane and output pipe are gone), its apps do not, and would run on with no one to stop
// them. So the launcher keeps a ledger of the process groups it started (`<state>/run/processes.json`)
// and the next run on the same state directory stops what is still alive from it before starting.
//
// Only a ledger whose launcher is gone is acted on: a second `maille run` on a state directory a
// live one uses must not stop the first one's processes (it fails on its ports instead).
//
// A pid alone could have been reused by an unrelated process since; each entry also records the
// process's start time (Linux /proc/PID/stat), and only a process with the same pid *and* start
// time is stopped. Where /proc is not there, nothing is recorded and nothing is stopped.
import { readFileSync } from 'node:fs';
import { replaceFileSync } from './replace-file.js';

interface Entry {
  name: string;
  pid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks after boot. */
  started: string;
}

/** The start time of `pid`, or undefined when it does not run (or there is no /proc). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses; fields resume after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

interface Ledger {
  /** The `maille run` that started them. */
  launcher: Entry;
  processes: Entry[];
}

export class ProcessLedger {
  private readonly entries = new Map<number, Entry>();
  private readonly launcher: Entry | undefined;

  constructor(private readonly file: string) {
    const started = processStartTime(process.pid);
    this.launcher = started === undefined ? undefined : { name: 'maille run', pid: process.pid, started };
  }

  started(name: string, pid: number): void {
    const started = processStartTime(pid);
    if (started === undefined || this.launcher === undefined) return;
    this.entries.set(pid, { name, pid, started });
    this.write();
  }

  exited(pid: number): void {
    if (this.entries.delete(pid)) this.write();
  }

  private write(): void {
    // Replaced whole: a run that dies mid-write leaves the previous ledger, never half of one.
    const ledger: Ledger = { launcher: this.launcher!, processes: [...this.entries.values()] };
    replaceFileSync(this.file, JSON.stringify(ledger), 0o600);
  }
}

/**
 * Stops the process groups of `ledgerFile` that still run (SIGTERM, SIGKILL after `graceMs`) when
 * the launcher that wrote it is gone; returns their names. A missing or unreadable ledger, or one
 * whose launcher still runs, stops nothing.
 */
export async function stopLeftovers(ledgerFile: string, graceMs = 3000): Promise<string[]> {
  const valid = (e: Entry | undefined): e is Entry => e !== undefined && Number.isInteger(e.pid) && e.pid > 1 && typeof e.started === 'string';
  let ledger: Partial<Ledger>;
  try {
    ledger = JSON.parse(readFileSync(ledgerFile, 'utf8')) as Partial<Ledger>;
  } catch {
    return [];
  }
  const alive = (e: Entry) => processStartTime(e.pid) === e.started;
  if (!valid(ledger.launcher) || alive(ledger.launcher) || !Array.isArray(ledger.processes)) return [];
  const left = ledger.processes.filter(valid).filter(alive);
  for (const e of left) signalGroup(e.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (left.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const e of left.filter(alive)) signalGroup(e.pid, 'SIGKILL');
  return left.map((e) => e.name);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // each was started as the leader of its own group (supervisor.ts)
  } catch {
    // gone meanwhile
  }
}
