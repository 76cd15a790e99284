import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpDate, isoTimestamp } from './clock-text.js';

test('isoTimestamp and httpDate give the text Date gives', () => {
  const samples = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_102_444_800_000, 253_402_300_799_999, Date.now()];
  // Every day boundary of a few leap and non-leap years, and random instants up to year 9999.
  for (let ms = Date.UTC(1999, 11, 25); ms < Date.UTC(2001, 2, 5); ms += 86_400_000) samples.push(ms, ms - 1);
  let seed = 12345;
  for (let i = 0; i < 5000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    samples.push(Math.floor((seed / 2 ** 31) * 253_402_300_799_999));
  }
  for (const ms of samples) {
    assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), `iso ${ms}`);
    assert.equal(httpDate(ms), new Date(ms).toUTCString(), `http ${ms}`);
  }
});
