import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { HEAP_GOVERNOR_DEFAULTS, OldSpaceGovernor, startHeapGovernor } from './heap-governor.js';

const MB = 1 << 20;
const policy = { ...HEAP_GOVERNOR_DEFAULTS, stepBytes: 1 * MB, maxStepBytes: 8 * MB, minGapMs: 250, ceilingBytes: 64 * MB };

test('collects once the old generation grew by a step, not before', () => {
  const g = new OldSpaceGovernor(policy);
  assert.equal(g.shouldCollect(6 * MB, 0), false); // first reading: the base
  assert.equal(g.shouldCollect(6.9 * MB, 100), false);
  assert.equal(g.shouldCollect(7.1 * MB, 200), true);
  g.collected(7.1 * MB, 6.2 * MB, 200);
  assert.equal(g.forced, 1);
  // Within minGapMs of the last forced GC: wait, however much it grew.
  assert.equal(g.shouldCollect(9 * MB, 300), false);
  assert.equal(g.shouldCollect(9 * MB, 450), true);
});

test('a collection V8 ran by itself lowers the base', () => {
  const g = new OldSpaceGovernor(policy);
  g.shouldCollect(8 * MB, 0);
  assert.equal(g.shouldCollect(6 * MB, 100), false); // V8 collected: new base 6 MB
  assert.equal(g.shouldCollect(7.5 * MB, 200), true);
});

test('backs off while collections free little (live data grows), and resets when they pay again', () => {
  const g = new OldSpaceGovernor(policy);
  g.shouldCollect(6 * MB, 0);
  assert.equal(g.shouldCollect(7.2 * MB, 1000), true);
  g.collected(7.2 * MB, 7.1 * MB, 1000); // freed 0.1 MB: the heap really grew
  assert.equal(g.currentStep, 2 * MB);
  assert.equal(g.shouldCollect(8.5 * MB, 2000), false);
  assert.equal(g.shouldCollect(9.2 * MB, 2000), true);
  g.collected(9.2 * MB, 9.1 * MB, 2000);
  assert.equal(g.currentStep, 4 * MB);
  for (let i = 0; i < 5; i++) g.collected(20 * MB, 20 * MB, 3000 + i * 1000);
  assert.equal(g.currentStep, 8 * MB, 'capped at maxStepBytes');
  g.collected(30 * MB, 22 * MB, 9000); // freed 8 MB: garbage again
  assert.equal(g.currentStep, 1 * MB);
});

test('leaves big heaps to V8', () => {
  const g = new OldSpaceGovernor(policy);
  g.shouldCollect(63 * MB, 0);
  assert.equal(g.shouldCollect(70 * MB, 1000), false);
});

test('in a real process, promoted garbage is collected once it passes the step', async () => {
  const oldUsed = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
  const running = startHeapGovernor({ ...policy, intervalMs: 20, minGapMs: 0 });
  try {
    // Objects kept alive across scavenges are promoted; dropping them leaves garbage in old space.
    let keep: object[] = [];
    const deadline = Date.now() + 10_000;
    while (running.governor.forced === 0 && Date.now() < deadline) {
      for (let i = 0; i < 20_000; i++) keep.push({ i, s: `x${i}` });
      await new Promise((r) => setTimeout(r, 30));
      keep = [];
    }
    assert.ok(running.governor.forced >= 1, 'the governor forced a collection');
    assert.ok(oldUsed() < 64 * MB);
  } finally {
    running.stop();
  }
});
