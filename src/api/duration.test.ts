import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DURATION_PATTERN, parseDuration } from './duration.js';

const pattern = new RegExp(DURATION_PATTERN);

describe('parseDuration', () => {
  const cases: [string, number][] = [
    ['1s', 1000],
    ['500ms', 500],
    ['1m', 60_000],
    ['1.5s', 1500],
    ['0.5s', 500],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2m3.5s', 123_500],
    ['0s', 0],
    ['1.1s', 1100], // no floating-point noise
    ['100us', 0.1],
    ['100µs', 0.1],
    ['250000ns', 0.25],
    ['15m', 900_000],
  ];
  for (const [text, ms] of cases) {
    it(`"${text}" is ${ms} ms, and the schema pattern accepts it`, () => {
      assert.equal(parseDuration(text), ms);
      assert.ok(pattern.test(text));
    });
  }

  const bad = ['', '1', '10', '1 s', ' 1s', '1s ', '-1s', '+1s', '1.s', '.5s', '1sec', '1S', '1d', 's', '1h-30m', '1,5s', 'PT1S'];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}, and so does the schema pattern`, () => {
      assert.throws(() => parseDuration(text), {
        message: `${JSON.stringify(text)} is not a duration: write a number and a unit (h, m, s, ms, us, ns), such as "500ms", "1.5s", "1m" or "1h30m"`,
      });
      assert.equal(pattern.test(text), false);
    });
  }
});
