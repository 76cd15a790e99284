import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangeDebouncer } from './debounce.js';
import type { AffectedNodes } from './types.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ChangeDebouncer', () => {
  it('merges the nodes of a burst into one flush', async () => {
    const flushed: AffectedNodes[] = [];
    const d = new ChangeDebouncer(30, 1000, (n) => flushed.push(n));
    d.add(new Set(['a']));
    d.add(new Set(['b']));
    d.add(new Set(['a']));
    await sleep(80);
    assert.deepEqual(flushed, [new Set(['a', 'b'])]);
    d.add(new Set(['c']));
    d.add('all');
    d.add(new Set(['d']));
    await sleep(80);
    assert.deepEqual(flushed.slice(1), ['all']);
    d.close();
  });

  it('flushes a steady trickle of changes after the maximum delay', async () => {
    const flushed: AffectedNodes[] = [];
    const d = new ChangeDebouncer(40, 100, (n) => flushed.push(n));
    // A change every 20 ms never leaves a 40 ms quiet period.
    for (let i = 0; i < 10 && flushed.length === 0; i++) {
      d.add(new Set([`n${i}`]));
      await sleep(20);
    }
    assert.equal(flushed.length, 1, 'flushed by the maximum delay, mid-trickle');
    d.close();
  });

  it('drops pending changes on close', async () => {
    const flushed: AffectedNodes[] = [];
    const d = new ChangeDebouncer(10, 100, (n) => flushed.push(n));
    d.add('all');
    d.close();
    await sleep(40);
    assert.deepEqual(flushed, []);
  });
});
