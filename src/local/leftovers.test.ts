import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { processStartTime, stopLeftovers } from './leftovers.js';

const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')));

/** A process in its own group, as the supervisor starts them. */
async function sleeper(): Promise<{ child: ChildProcess; entry: { name: string; pid: number; started: string } }> {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  const started = processStartTime(child.pid!);
  assert.ok(started !== undefined, '/proc is readable');
  return { child, entry: { name: `sleep-${child.pid}`, pid: child.pid!, started } };
}

const exited = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once('exit', r)));

describe('leftovers of a maille run that did not stop', { skip: processStartTime(process.pid) === undefined ? 'no /proc here' : false }, () => {
  it('are stopped once their launcher is gone; a pid now used by another process is left alone', async () => {
    const launcher = await sleeper();
    const app = await sleeper();
    const other = await sleeper();
    launcher.child.kill('SIGKILL');
    await exited(launcher.child);
    const file = join(mkdtempSync(join(tmpdir(), 'maille-leftovers-')), 'processes.json');
    // `other` stands for a pid reused since: same pid, another start time.
    writeFileSync(file, JSON.stringify({ launcher: launcher.entry, processes: [app.entry, { ...other.entry, started: '1' }] }));
    assert.deepEqual(await stopLeftovers(file, 2000), [app.entry.name]);
    await exited(app.child);
    assert.equal(app.child.signalCode, 'SIGTERM');
    assert.equal(other.child.exitCode, null);
    assert.equal(other.child.signalCode, null);
  });

  it('are not touched while their launcher still runs (another maille run on the same state directory)', async () => {
    const launcher = await sleeper();
    const app = await sleeper();
    const file = join(mkdtempSync(join(tmpdir(), 'maille-leftovers-')), 'processes.json');
    writeFileSync(file, JSON.stringify({ launcher: launcher.entry, processes: [app.entry] }));
    assert.deepEqual(await stopLeftovers(file, 2000), []);
    assert.equal(app.child.exitCode, null);
    assert.deepEqual(await stopLeftovers(join(tmpdir(), 'no-such-ledger.json')), []);
  });
});
