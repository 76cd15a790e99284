// Timestamps as text, computed from milliseconds since the epoch without a Date object.
//
// Why: the first Date#toISOString or #toUTCString of a process initializes V8's date cache and
// its ICU time-zone support, which touches ~0.7–1 MB of ICU data and code in the node binary
// (resident for the process's life). A proxy only needs UTC timestamps for its log lines and
// the admin listener's Date header; this arithmetic gives the same text.
// `clock-text.test.ts` compares both functions with Date's own output.

const DAY_MS = 86_400_000;
const WEEKDAYS = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed']; // 1970-01-01 was a Thursday
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Civil {
  year: number;
  month: number; // 1..12
  day: number;
  weekday: number; // index into WEEKDAYS
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

/** Days since the epoch to a proleptic Gregorian date (H. Hinnant's civil_from_days). */
function civil(epochMs: number): Civil {
  const days = Math.floor(epochMs / DAY_MS);
  let rest = epochMs - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  return {
    year: yoe + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: doy - Math.floor((153 * mp + 2) / 5) + 1,
    weekday: ((days % 7) + 7) % 7,
    hour,
    minute,
    second,
    ms: rest - second * 1000,
  };
}

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** "2026-11-25T17:34:55.321Z", as Date#toISOString (years 0–9999). */
export function isoTimestamp(epochMs: number): string {
  const c = civil(epochMs);
  return `${String(c.year).padStart(4, '0')}-${two(c.month)}-${two(c.day)}T${two(c.hour)}:${two(c.minute)}:${two(c.second)}.${three(c.ms)}Z`;
}

/** "Wed, 25 Nov 2026 17:34:55 GMT", the HTTP Date format (RFC 9110 §5.6.7), as Date#toUTCString. */
export function httpDate(epochMs: number): string {
  const c = civil(epochMs);
  return `${WEEKDAYS[c.weekday]}, ${two(c.day)} ${MONTHS[c.month - 1]} ${String(c.year).padStart(4, '0')} ${two(c.hour)}:${two(c.minute)}:${two(c.second)} GMT`;
}
