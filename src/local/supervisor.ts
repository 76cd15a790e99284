// Runs the processes of a local mesh (apps, sidecars, gateways): each line of their output
// prefixed with the process name, a crashed process restarted with exponential backoff, and a
// stop that leaves nothing behind (SIGTERM, then SIGKILL after a grace period).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ProcessSpec {
  /** Shown before each output line: `[name] …`. */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Restart when it exits while the supervisor runs. Default true. */
  restart?: boolean;
}

export interface SupervisorOptions {
  out(line: string): void;
  /** First restart delay; doubles per consecutive crash up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** A process that ran this long before exiting resets its backoff. */
  healthyAfterMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping. */
  graceMs?: number;
  /** Told of every process group started and ended (leftovers.ts keeps a ledger of them). */
  onStarted?(name: string, pid: number): void;
  onExited?(name: string, pid: number): void;
}

interface Managed {
  spec: ProcessSpec;
  child: ChildProcess | undefined;
  crashes: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

export class Supervisor {
  private readonly procs = new Map<string, Managed>();
  private stopping = false;
  private readonly base: number;
  private readonly max: number;
  private readonly healthyAfter: number;
  private readonly grace: number;

  constructor(private readonly opts: SupervisorOptions) {
    this.base = opts.baseBackoffMs ?? 500;
    this.max = opts.maxBackoffMs ?? 30_000;
    this.healthyAfter = opts.healthyAfterMs ?? 10_000;
    this.grace = opts.graceMs ?? 5_000;
  }

  start(spec: ProcessSpec): void {
    if (this.procs.has(spec.name)) throw new Error(`a process named ${spec.name} is already supervised`);
    const m: Managed = { spec, child: undefined, crashes: 0, startedAt: 0, timer: undefined };
    this.procs.set(spec.name, m);
    this.launch(m);
  }

  /** pid of a running process, for tests and status. */
  pid(name: string): number | undefined {
    return this.procs.get(name)?.child?.pid;
  }

  restarts(name: string): number {
    return this.procs.get(name)?.crashes ?? 0;
  }

  private launch(m: Managed): void {
    const { spec } = m;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a shell's children (`sh -c "cd x && node app.js"`) are stopped
      // with it, not orphaned.
      detached: true,
    });
    m.child = child;
    m.startedAt = Date.now();
    const pid = child.pid;
    if (pid !== undefined) this.opts.onStarted?.(spec.name, pid);
    const prefix = `[${spec.name}] `;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (l) => this.opts.out(prefix + l));
    }
    child.on('error', (err) => this.opts.out(`${prefix}cannot start ${spec.command}: ${err.message}`));
    child.on('exit', (code, signal) => {
      m.child = undefined;
      if (pid !== undefined) this.opts.onExited?.(spec.name, pid);
      if (this.stopping || spec.restart === false) return;
      if (Date.now() - m.startedAt >= this.healthyAfter) m.crashes = 0;
      m.crashes++;
      const delay = Math.min(this.max, this.base * 2 ** (m.crashes - 1));
      this.opts.out(`${prefix}exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      m.timer = setTimeout(() => {
        m.timer = undefined;
        if (!this.stopping) this.launch(m);
      }, delay);
    });
  }

  /** Stops everything: SIGTERM, then SIGKILL what is still alive after the grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    const waits: Promise<void>[] = [];
    for (const m of this.procs.values()) {
      if (m.timer) clearTimeout(m.timer);
      const child = m.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => signalGroup(child, 'SIGKILL'), this.grace);
          child.once('exit', () => {
            clearTimeout(kill);
            // The group leader is gone; make sure nothing it started lingers.
            signalGroup(child, 'SIGKILL');
            resolve();
          });
          signalGroup(child, 'SIGTERM');
        }),
      );
    }
    await Promise.all(waits);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
