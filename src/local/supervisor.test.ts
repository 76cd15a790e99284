import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Supervisor } from './supervisor.js';

const node = process.execPath;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `ok()` holds or `ms` pass (process start-up time varies with machine load). */
async function until(ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await wait(20);
}

test('prefixes output, restarts a crashing process with growing backoff, stops cleanly', async () => {
  const lines: string[] = [];
  const sup = new Supervisor({ out: (l) => lines.push(l), baseBackoffMs: 50, maxBackoffMs: 400, graceMs: 2000 });
  sup.start({ name: 'crasher', command: node, args: ['-e', 'console.log("up"); process.exit(3)'] });
  sup.start({ name: 'steady', command: node, args: ['-e', 'console.log("steady up"); setInterval(() => {}, 1000)'] });
  try {
    await until(() => lines.filter((l) => l === '[crasher] up').length >= 3 && lines.includes('[steady] steady up'), 10_000);
    assert.ok(lines.includes('[steady] steady up'));
    assert.ok(lines.filter((l) => l === '[crasher] up').length >= 3, lines.join('\n'));
    assert.ok(lines.some((l) => l === '[crasher] exited (code 3); restarting in 50 ms'));
    assert.ok(lines.some((l) => l === '[crasher] exited (code 3); restarting in 100 ms'));
  } finally {
    const pid = sup.pid('steady')!;
    await sup.stop();
    assert.throws(() => process.kill(pid, 0), 'the steady process is gone');
  }
});

test('a process ignoring SIGTERM is killed after the grace period', async () => {
  const sup = new Supervisor({ out: () => {}, graceMs: 200 });
  sup.start({ name: 'stubborn', command: node, args: ['-e', 'process.on("SIGTERM", () => {}); console.log("x"); setInterval(() => {}, 1000)'] });
  await wait(500); // let it install its SIGTERM handler
  const pid = sup.pid('stubborn')!;
  const t0 = Date.now();
  await sup.stop();
  assert.ok(Date.now() - t0 >= 150);
  assert.throws(() => process.kill(pid, 0));
});

test('stopping a shell command also stops what the shell started', async () => {
  const lines: string[] = [];
  const sup = new Supervisor({ out: (l) => lines.push(l), graceMs: 2000 });
  sup.start({ name: 'sh', command: '/bin/sh', args: ['-c', `${node} -e 'console.log("pid " + process.pid); setInterval(() => {}, 1000)'; echo after`] });
  await until(() => lines.some((l) => l.startsWith('[sh] pid ')), 10_000);
  const inner = Number(lines.find((l) => l.startsWith('[sh] pid '))!.split(' ')[2]);
  await sup.stop();
  await until(() => {
    try {
      process.kill(inner, 0);
      return false;
    } catch {
      return true;
    }
  }, 2000);
  assert.throws(() => process.kill(inner, 0), 'the node process under the shell is gone');
});
