// `maille run` killed outright (SIGKILL: no Ctrl-C, nothing stopped in order), then started again
// on the same state directory: the apps the killed run left behind are stopped first, the new run
// starts with the tokens and CA it had, and traffic flows through the mesh again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { viaProxy } from '../support/client.js';
import { startExampleMesh, type ExampleMeshRun } from '../support/maille-run.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const limit = (ms: number): Promise<'timeout'> => new Promise((r) => setTimeout(() => r('timeout'), ms).unref());

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop(run: ExampleMeshRun | undefined): Promise<void> {
  if (run === undefined || run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGINT');
  if ((await Promise.race([run.exited, limit(20_000)])) === 'timeout') run.child.kill('SIGKILL');
}

test('maille run killed with SIGKILL: the next run on its state directory stops what it left and serves', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'maille-killed-run-'));
  let first: ExampleMeshRun | undefined;
  let second: ExampleMeshRun | undefined;
  let apps: { name: string; pid: number }[] = [];
  try {
    first = await startExampleMesh(stateDir);
    first.row('client-v1-0'); // started (fails with the output otherwise)
    const ledger = JSON.parse(readFileSync(join(stateDir, 'run', 'processes.json'), 'utf8')) as { processes: { name: string; pid: number }[] };
    apps = ledger.processes.filter((p) => !p.name.endsWith('/proxy'));
    assert.deepEqual(apps.map((p) => p.name).sort(), ['client-v1-0', 'reviews-v1-0', 'reviews-v2-0']);

    first.child.kill('SIGKILL');
    await first.exited;
    // What a killed launcher leaves: its apps run on (process groups of their own).
    assert.deepEqual(apps.filter((p) => !running(p.pid)), [], 'the apps outlive a killed maille run');

    second = await startExampleMesh(stateDir);
    const stopped = second.lines.find((l) => l.startsWith('stopped ')) ?? '';
    assert.ok(stopped.includes(` an earlier maille run on ${stateDir} left running: `), second.lines.join('\n'));
    for (const app of apps) assert.ok(stopped.includes(app.name), `${app.name} named in: ${stopped}`);
    for (const app of apps) assert.ok(!running(app.pid), `${app.name} (pid ${app.pid}) of the killed run is stopped`);

    const outbound = second.row('client-v1-0').outbound;
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await viaProxy(outbound, 'http://reviews:9080/r').catch(() => ({ status: 0 }))).status) !== 200) await sleep(200);
    assert.equal(status, 200, `traffic through the restarted mesh\n${second.lines.slice(-30).join('\n')}`);

    second.child.kill('SIGINT');
    assert.equal(await Promise.race([second.exited, limit(20_000)]), 0);
  } finally {
    await stop(first);
    await stop(second);
    // A failed test must not leave the first run's apps behind either (each leads its own group).
    for (const app of apps.filter((a) => running(a.pid))) {
      try {
        process.kill(-app.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
});
