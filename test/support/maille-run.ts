// `maille run` as a user runs it, for end-to-end tests: the real CLI process (compiled, from
// bin/maille.js) with a mesh file, its workload table parsed, `maille apply/delete` as real CLI
// processes fed through stdin (`kubectl apply -f - <<EOF` in Istio's tasks), and a wait until
// the sidecars that a change concerns have acknowledged it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageInfo } from '../../src/cli/package-info.js';
import { ApiClient } from '../../src/control-plane/sources/api-client.js';
import type { ProxyStatus } from '../../src/control-plane/discovery/types.js';

const ROOT = packageInfo().root;
const BIN = join(ROOT, 'bin/maille.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One row of the table `maille run` prints. */
export interface WorkloadRow {
  id: string;
  identity: string;
  app: number;
  inbound: number;
  outbound: number;
  admin: number;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface MailleRun {
  stateDir: string;
  /** Everything printed so far (stdout and stderr), for assertion messages. */
  lines: string[];
  workload(id: string): WorkloadRow;
  /** `maille <args…> --state-dir DIR`, with `stdin` piped in. */
  cli(args: string[], stdin?: string): Promise<CliResult>;
  /**
   * `maille apply -f -` with `yaml`; then waits until every sidecar in `affected` has ACKed a
   * newer snapshot (the ones whose outbound routes the change concerns). Fails on a refused apply.
   */
  apply(yaml: string, affected: string[]): Promise<string>;
  /** `maille delete KIND NAME`, then the same wait as apply. */
  delete(kind: string, name: string, affected: string[]): Promise<string>;
  /** Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
}

function runCli(args: string[], stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

function parseTable(lines: string[]): Map<string, WorkloadRow> {
  const header = lines.findIndex((l) => l.startsWith('WORKLOAD '));
  const rows = new Map<string, WorkloadRow>();
  if (header < 0) return rows;
  for (const line of lines.slice(header + 1)) {
    if (line.startsWith('configuration API ')) break;
    const cells = line.split(/\s+/);
    if (cells.length !== 7 || !cells[2].startsWith('spiffe://')) continue; // a sidecar's log line
    const [id, , identity, app, inbound, outbound, admin] = cells;
    rows.set(id, { id, identity, app: Number(app), inbound: Number(inbound), outbound: Number(outbound), admin: Number(admin) });
  }
  return rows;
}

/** Starts `maille run -f <mesh file>` and resolves once every sidecar has its configuration. */
export async function startMailleRun(meshYaml: string, opts: { readyTimeoutMs?: number } = {}): Promise<MailleRun> {
  const stateDir = mkdtempSync(join(tmpdir(), 'maille-e2e-'));
  const meshFile = join(stateDir, 'mesh.yaml');
  writeFileSync(meshFile, meshYaml);
  const child: ChildProcess = spawn(process.execPath, [BIN, 'run', '-f', meshFile, '--state-dir', stateDir, '--control-plane-port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stdout: string[] = []; // the table, without log lines from stderr in between
  createInterface({ input: child.stdout! }).on('line', (l) => (lines.push(l), stdout.push(l)));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const log = (): string => lines.slice(-60).join('\n');
  const cli = (args: string[], stdin?: string): Promise<CliResult> => runCli([...args, '--state-dir', stateDir], stdin);
  const proxies = async (): Promise<ProxyStatus[]> => (await ApiClient.find(stateDir)).proxies();

  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20_000)));
    const code = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (code === 'timeout') {
      child.kill('SIGKILL');
      throw new Error(`maille run did not stop within 20 s of SIGINT\n${log()}`);
    }
    return code;
  };

  try {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    let table = new Map<string, WorkloadRow>();
    const ready = (ps: ProxyStatus[]): boolean => table.size > 0 && ps.length === table.size && ps.every((p) => p.state === 'synced');
    // Ready: every sidecar synced, and nothing sent for longer than the control plane's debounce
    // (up to 1 s), so the endpoints of the last workloads to register have reached the first.
    let settled = { key: '', since: 0 };
    for (;;) {
      if (child.exitCode !== null) throw new Error(`maille run exited with ${child.exitCode}\n${log()}`);
      if (Date.now() > deadline) throw new Error(`maille run: the sidecars did not all sync in time\n${log()}`);
      if (table.size === 0 && stdout.some((l) => l.startsWith('configuration API '))) table = parseTable(stdout);
      const ps = table.size > 0 ? await proxies().catch(() => []) : [];
      if (ready(ps)) {
        const key = ps.map((p) => `${p.nodeId}@${p.lastAckedVersion}`).join(' ');
        if (key !== settled.key) settled = { key, since: Date.now() };
        else if (Date.now() - settled.since >= 1500) break;
      }
      await sleep(200);
    }

    const waitForAcks = async (before: ProxyStatus[], affected: string[], what: string): Promise<void> => {
      const acked = new Map(before.map((p) => [p.nodeId, p.lastAckedVersion ?? 0]));
      const until = Date.now() + 15_000;
      for (;;) {
        const now = await proxies();
        const late = affected.filter((id) => {
          const p = now.find((s) => s.nodeId === id);
          return !p || p.state !== 'synced' || (p.lastAckedVersion ?? 0) <= (acked.get(id) ?? 0);
        });
        if (late.length === 0) return;
        const nacks = now.filter((p) => p.state === 'nacked').map((p) => `${p.nodeId}: ${p.lastNack?.error}`);
        if (nacks.length > 0 || Date.now() > until) throw new Error(`${what}: not acknowledged by ${late.join(', ')} ${nacks.join('; ')}\n${log()}`);
        await sleep(100);
      }
    };

    return {
      stateDir,
      lines,
      workload(id) {
        const row = table.get(id);
        if (!row) throw new Error(`no workload ${id} in the table (${[...table.keys()].join(', ')})`);
        return row;
      },
      cli,
      async apply(yaml, affected) {
        const before = await proxies();
        const r = await cli(['apply', '-f', '-'], yaml);
        if (r.code !== 0) throw new Error(`maille apply refused:\n${r.stderr}`);
        if (!/ (created|configured)$/m.test(r.stdout)) return r.stdout; // nothing changed, nothing to wait for
        await waitForAcks(before, affected, `apply of\n${r.stdout}`);
        return r.stdout;
      },
      async delete(kind, name, affected) {
        const before = await proxies();
        const r = await cli(['delete', kind, name]);
        if (r.code !== 0) throw new Error(`maille delete ${kind} ${name}: ${r.stderr}`);
        await waitForAcks(before, affected, `delete ${kind} ${name}`);
        return r.stdout;
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => child.kill('SIGKILL'));
    throw err;
  }
}

/** `maille run -f examples/mesh.yaml` (three sidecars), for tests that restart it on one state directory. */
export interface ExampleMeshRun {
  child: ChildProcess;
  /** stdout and stderr lines, so a failed start shows why in an assertion message. */
  lines: string[];
  exited: Promise<number | null>;
  /** The workload table's row of `id` (fails the test with the output when missing). */
  row(id: string): WorkloadRow;
}

/** Starts the example mesh on `stateDir` and resolves once its three sidecars printed their admin line (30 s at most). */
export async function startExampleMesh(stateDir: string): Promise<ExampleMeshRun> {
  const child = spawn(process.execPath, [BIN, 'run', '-f', 'examples/mesh.yaml', '--state-dir', stateDir, '--control-plane-port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const stdout: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => (lines.push(l), stdout.push(l)));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 30_000;
  while (lines.filter((l) => /\/proxy\] admin /.test(l)).length < 3 && Date.now() < deadline) await sleep(100);
  const row = (id: string): WorkloadRow => {
    const found = parseTable(stdout).get(id);
    if (!found) throw new Error(`no workload row ${id} in the output of maille run:\n${lines.join('\n')}`);
    return found;
  };
  return { child, lines, exited, row };
}
