// Durations as Istio and Gateway API write them: a number and a unit, repeatable ("500ms", "1.5s",
// "1m", "1h30m"), Go's time.ParseDuration format without signs. The schema pattern and the parser
// accept exactly the same strings (duration.test.ts checks both), so a resource that validates
// always parses.
import { Pattern } from './schema.js';

const UNITS = 'h|ms|m|s|us|µs|μs|ns';
export const DURATION_PATTERN = `^([0-9]+(\\.[0-9]+)?(${UNITS}))+$`;
export const DURATION_EXPECTED = 'a duration such as "500ms", "1.5s", "1m" or "1h30m"';

const MS_PER_UNIT: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001, // micro sign U+00B5
  μs: 0.001, // Greek mu U+03BC; Go accepts both
  ns: 0.000001,
};
const TERM = new RegExp(`([0-9]+)(?:\\.([0-9]+))?(${UNITS})`, 'y');

/** A duration string in the schemas: the pattern for validators and CRDs, the words for errors. */
export const Duration = (description?: string) => Pattern(DURATION_PATTERN, DURATION_EXPECTED, { description });

/** Milliseconds in a duration string (fractions allowed: "100us" is 0.1). Throws with a clear message. */
export function parseDuration(text: string): number {
  let ms = 0;
  let at = 0;
  TERM.lastIndex = 0;
  while (at < text.length) {
    TERM.lastIndex = at;
    const m = TERM.exec(text);
    if (!m) break;
    const scale = MS_PER_UNIT[m[3]];
    // Integer and fraction apart: 1.1 * 1000 is 1100.0000000000002 in floating point.
    const fraction = m[2] ? (Number(m[2]) * scale) / 10 ** m[2].length : 0;
    ms += Number(m[1]) * scale + fraction;
    at = TERM.lastIndex;
  }
  if (text.length === 0 || at !== text.length) {
    const example = 'such as "500ms", "1.5s", "1m" or "1h30m"';
    throw new Error(`${JSON.stringify(text)} is not a duration: write a number and a unit (h, m, s, ms, us, ns), ${example}`);
  }
  return Math.round(ms * 1e6) / 1e6; // to the nanosecond, dropping float noise of us/ns units
}
