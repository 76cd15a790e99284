import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUFFER_GOVERNOR_DEFAULTS, ExternalFloor, ReadingPace, startBufferGovernor } from './buffer-governor.js';

const MB = 1 << 20;
const policy = { ...BUFFER_GOVERNOR_DEFAULTS, stepBytes: 1 * MB, floorWindowMs: 1000, fastMs: 5, slowMs: 100, quietBytes: 64 * 1024 };

test('scavenges once external memory is a step above the floor, not before', () => {
  const f = new ExternalFloor(policy);
  assert.equal(f.shouldCollect(2 * MB, 0), false); // the floor: 2 MB alive
  assert.equal(f.shouldCollect(2.9 * MB, 5), false);
  assert.equal(f.shouldCollect(3.1 * MB, 10), true);
  assert.equal(f.shouldCollect(2.1 * MB, 15), false); // freed
  assert.equal(f.collections, 1);
});

test('live buffers that grow raise the floor within a window, so scavenges stop', () => {
  const f = new ExternalFloor(policy);
  f.shouldCollect(2 * MB, 0);
  // 4 MB of buffers that stay alive (new connections): scavenges free nothing.
  let collected = 0;
  for (let t = 5; t <= 2000; t += 5) if (f.shouldCollect(6 * MB, t)) collected++;
  assert.ok(collected > 0, 'it tried while the old floor was in the window');
  assert.ok(collected <= 200, `at most a window's worth of readings (${collected})`);
  assert.equal(f.shouldCollect(6 * MB, 2005), false, 'the floor is now the live 6 MB');
  assert.equal(f.shouldCollect(7.2 * MB, 2010), true, 'and garbage above it is collected again');
});

test('reads fast while external memory moves, slowly once it is quiet', () => {
  const pace = new ReadingPace(policy);
  assert.equal(pace.next(1 * MB, false), 5);
  assert.equal(pace.next(2 * MB, false), 5);
  let delay = 0;
  for (let i = 0; i < 21; i++) delay = pace.next(2 * MB, false);
  assert.equal(delay, 100, 'quiet: slow readings');
  assert.equal(pace.next(3 * MB, false), 5, 'moving again: fast');
});

test('in a real process, dead Buffers are scavenged once they pass the step', async () => {
  const running = startBufferGovernor({ ...policy, slowMs: 5 });
  try {
    const deadline = Date.now() + 10_000;
    while (running.floor.collections === 0 && Date.now() < deadline) {
      // Like TLS reads: many small Buffers with their own backing stores, dropped at once.
      for (let i = 0; i < 200; i++) Buffer.allocUnsafeSlow(16 * 1024).fill(i);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(running.floor.collections >= 1, 'the governor ran a scavenge');
  } finally {
    running.stop();
  }
});
