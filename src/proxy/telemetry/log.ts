// A minimal leveled logger: one line per event on stderr.
//
//   text (default):          2025-01-01T00:00:00.000Z info  proxy listening port=15001 name=outbound
//   MAILLE_LOG_FORMAT=json:  {"ts":"…","level":"info","component":"proxy","msg":"listening","port":15001}
//
// The level is one process-wide number that every call compares first, so a disabled call costs
// a comparison. Callers that would build costly fields guard with `log.enabled('debug')`.
// Logging never throws: a field that cannot be serialized is written as a placeholder.
import { isoTimestamp } from './clock-text.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';
export type LogFormat = 'text' | 'json';
export type LogFields = Readonly<Record<string, unknown>>;

export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['debug', 'info', 'warn', 'error', 'off']);

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };
// Padded so messages line up in text output.
const LABEL: Readonly<Record<LogLevel, string>> = { debug: 'debug', info: 'info ', warn: 'warn ', error: 'error', off: 'off  ' };

export function isLogLevel(s: unknown): s is LogLevel {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(RANK, s);
}

const envLevel = process.env.MAILLE_LOG_LEVEL;
let level: LogLevel = isLogLevel(envLevel) ? envLevel : 'info';
let threshold = RANK[level];
let format: LogFormat = process.env.MAILLE_LOG_FORMAT === 'json' ? 'json' : 'text';
const stderrSink = (line: string): void => {
  process.stderr.write(line);
};
let sink: (line: string) => void = stderrSink;

export function setLogLevel(l: LogLevel): void {
  if (!isLogLevel(l)) throw new Error(`unknown log level "${String(l)}": use one of ${LOG_LEVELS.join(', ')}`);
  level = l;
  threshold = RANK[l];
}

export function getLogLevel(): LogLevel {
  return level;
}

export function setLogFormat(f: LogFormat): void {
  format = f;
}

/** Where lines go (each ends with "\n"); undefined restores stderr. For tests and embedding. */
export function setLogSink(fn: ((line: string) => void) | undefined): void {
  sink = fn ?? stderrSink;
}

export interface Logger {
  readonly component: string;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether a call at this level would write, to skip building costly fields. */
  enabled(l: LogLevel): boolean;
}

class ComponentLogger implements Logger {
  constructor(readonly component: string) {}
  debug(msg: string, fields?: LogFields): void {
    if (threshold <= 10) emit('debug', this.component, msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    if (threshold <= 20) emit('info', this.component, msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    if (threshold <= 30) emit('warn', this.component, msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    if (threshold <= 40) emit('error', this.component, msg, fields);
  }
  enabled(l: LogLevel): boolean {
    return l !== 'off' && threshold <= RANK[l];
  }
}

export function createLogger(component: string): Logger {
  return new ComponentLogger(component);
}

// ---------------------------------------------------------------------------------------------

function emit(l: LogLevel, component: string, msg: string, fields: LogFields | undefined): void {
  const ts = isoTimestamp(Date.now()); // not Date#toISOString: see clock-text.ts
  let line: string;
  try {
    line = format === 'json' ? jsonLine(ts, l, component, msg, fields) : textLine(ts, l, component, msg, fields);
  } catch {
    line = `${ts} ${LABEL[l]} ${component} ${oneLine(msg)} log_error="fields could not be serialized"`;
  }
  sink(line + '\n');
}

function textLine(ts: string, l: LogLevel, component: string, msg: string, fields: LogFields | undefined): string {
  let s = `${ts} ${LABEL[l]} ${component} ${oneLine(msg)}`;
  if (fields !== undefined) {
    for (const k in fields) {
      const v = fields[k];
      if (v === undefined) continue;
      s += ` ${k}=${textValue(v)}`;
    }
  }
  return s;
}

function jsonLine(ts: string, l: LogLevel, component: string, msg: string, fields: LogFields | undefined): string {
  const o: Record<string, unknown> = { ts, level: l, component, msg };
  if (fields !== undefined) {
    for (const k in fields) {
      // The four fixed keys win: a field must not hide when or where an event happened.
      if (k in o) continue;
      o[k] = jsonValue(fields[k]);
    }
  }
  return JSON.stringify(o);
}

// A message with a line break would split one event over two lines.
function oneLine(s: string): string {
  return s.includes('\n') || s.includes('\r') ? s.replace(/\r/g, '\\r').replace(/\n/g, '\\n') : s;
}

const BARE = /^[^\s"=\\]+$/;

function textValue(v: unknown): string {
  switch (typeof v) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'string':
      return BARE.test(v) ? v : JSON.stringify(v);
    case 'function':
      return '[function]';
    case 'symbol':
      return JSON.stringify(v.toString());
  }
  if (v === null) return 'null';
  if (v instanceof Error) return JSON.stringify(errorText(v));
  const s = safeStringify(v);
  return BARE.test(s) ? s : JSON.stringify(s);
}

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Error) return errorText(v);
  if (v !== null && typeof v === 'object') {
    // Checked here so one bad field does not lose the whole line.
    try {
      JSON.stringify(v);
      return v;
    } catch {
      return '[unserializable]';
    }
  }
  return v;
}

function errorText(e: Error): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${e.message}` : e.message;
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return '[unserializable]';
  }
}
