// Parses an HTTP/1.x message head (request or status line plus header fields).
//
// Strict on purpose: a proxy that is lenient where the upstream is strict (or the reverse) is
// how request smuggling happens. Bare LF line ends, obsolete line folding, spaces before the
// colon and non-token names are refused with 400.
import { HeaderList } from '../../http/headers.js';

export interface RequestHead {
  method: string;
  /** Request target as sent: origin-form (/p?q), absolute-form (http://h/p), or authority-form. */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  headers: HeaderList;
}

export interface ResponseHead {
  status: number;
  reason: string;
  minor: number;
  headers: HeaderList;
}

export class HeadParseError extends Error {
  constructor(
    message: string,
    /** 400 for malformed, 431 for too many fields, 505 for unknown versions. */
    readonly status: number,
  ) {
    super(message);
  }
}

// RFC 9110 token characters, as a lookup table (faster than a regex per name).
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || TOKEN[c] === 0) return false;
  }
  return true;
}

// Field names most messages carry, lower-case. A name that matches one (case-insensitively) is
// stored as this shared string: no slice and no toLowerCase per field, and no token check.
const KNOWN_NAMES = [
  'host', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'accept-ranges', 'authorization',
  'cache-control', 'connection', 'content-encoding', 'content-length', 'content-type', 'cookie', 'date',
  'etag', 'expect', 'keep-alive', 'last-modified', 'location', 'origin', 'referer', 'server', 'set-cookie',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'vary', 'via', 'x-request-id', 'x-forwarded-for',
  'x-forwarded-proto', 'x-forwarded-client-cert', 'traceparent', 'tracestate', 'grpc-status', 'grpc-message',
  'grpc-encoding', 'grpc-accept-encoding', 'grpc-timeout',
];
/** Indexes into KNOWN_NAMES, by name length. */
const KNOWN_BY_LENGTH: number[][] = [];
KNOWN_NAMES.forEach((n, i) => (KNOWN_BY_LENGTH[n.length] ??= []).push(i));

/** The index in KNOWN_NAMES of text[pos, pos+len) (any case), or -1. */
function knownIndex(text: string, pos: number, len: number): number {
  const candidates = KNOWN_BY_LENGTH[len];
  if (candidates === undefined) return -1;
  next: for (const idx of candidates) {
    const k = KNOWN_NAMES[idx];
    for (let i = 0; i < len; i++) {
      let c = text.charCodeAt(pos + i);
      if (c >= 65 && c <= 90) c |= 32; // ASCII upper → lower
      if (c !== k.charCodeAt(i)) continue next;
    }
    return idx;
  }
  return -1;
}

// The last value seen for fields whose value rarely changes between messages (a server's
// Server, Date — once a second —, Content-Type and Connection; a client's Host, User-Agent,
// Accept). A value equal to it is shared, not sliced again: one string less per field, and a
// string whose hash is already computed for the lookups that follow (connection tokens).
// Only values of heads ≤ 1 KB are kept, so a remembered value (a slice) holds on to at most
// 1 KB of the head it came from, per field name. Never for credentials or cookies.
const STABLE_VALUE_NAMES = new Set([
  'host', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'accept-ranges', 'cache-control',
  'connection', 'content-encoding', 'content-type', 'date', 'keep-alive', 'server', 'te', 'vary', 'via',
  'x-forwarded-proto', 'grpc-encoding', 'grpc-accept-encoding',
]);
const STABLE = KNOWN_NAMES.map((n) => STABLE_VALUE_NAMES.has(n));
const lastValue: (string | undefined)[] = KNOWN_NAMES.map(() => undefined);
/** Heads longer than this do not update the remembered values. */
const STABLE_HEAD_LIMIT = 1024;
const STABLE_VALUE_LIMIT = 64;

/**
 * The value text[vs, ve) of field `name` (KNOWN_NAMES[idx] when idx ≠ -1), checked; shared with
 * the last value of that field when they are equal (remembered values were checked already).
 */
function valueOf(text: string, vs: number, ve: number, idx: number, name: string): string {
  const stable = idx !== -1 && STABLE[idx];
  if (stable) {
    const last = lastValue[idx];
    if (last !== undefined && last.length === ve - vs && text.startsWith(last, vs)) return last;
  }
  const value = text.slice(vs, ve);
  if (hasBadValueChar(value)) throw new HeadParseError(`invalid character in header ${name}`, 400);
  if (stable && value.length <= STABLE_VALUE_LIMIT && text.length <= STABLE_HEAD_LIMIT) lastValue[idx] = value;
  return value;
}

/** Characters a field value may not contain: CR, LF, NUL. */
function hasBadValueChar(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 13 || c === 10 || c === 0) return true;
  }
  return false;
}

/**
 * `text` is the head without its final CRLFCRLF, decoded as latin1 (bytes map 1:1 to chars).
 * Parses the fields from `from` (just after the start line) into a new HeaderList.
 */
function parseFields(text: string, from: number, maxCount: number, spare: number): HeaderList {
  let pos = from;
  const len = text.length;
  // Arrays sized for the fields (plus `spare` that the proxy adds later) up front: pushing onto
  // empty arrays would allocate 16-slot backing stores, four per request, then more to grow.
  const count = lineCount(text, from);
  if (count > maxCount) throw new HeadParseError(`more than ${maxCount} header fields`, 431);
  const names: string[] = new Array<string>(count + spare);
  const values: string[] = new Array<string>(count + spare);
  let n = 0;
  while (pos < len) {
    let eol = text.indexOf('\r\n', pos);
    if (eol === -1) eol = len;
    if (eol === pos) throw new HeadParseError('empty header line', 400);
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) throw new HeadParseError('obsolete header line folding is not allowed', 400);
    const colon = text.indexOf(':', pos);
    if (colon === -1 || colon > eol) throw new HeadParseError('header line without a colon', 400);
    const idx = knownIndex(text, pos, colon - pos);
    let name: string;
    if (idx !== -1) {
      name = KNOWN_NAMES[idx];
    } else {
      const raw = text.slice(pos, colon);
      if (!isToken(raw)) throw new HeadParseError(`invalid header name "${raw.slice(0, 40)}"`, 400);
      name = raw.toLowerCase();
    }
    // Skip optional whitespace around the value by index: one slice instead of slice + trim.
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    const value = valueOf(text, vs, ve, idx, name);
    names[n] = name;
    values[n] = value;
    n++;
    pos = eol + 2;
  }
  // Shrinking keeps the backing store (V8 trims only when more than half is unused): the spare
  // slots take the proxy's own fields without a reallocation.
  names.length = n;
  values.length = n;
  return new HeaderList(names, values);
}

/** Number of lines in text[from..] (CRLF-separated; the last one has no CRLF). */
function lineCount(text: string, from: number): number {
  if (from >= text.length) return 0;
  let count = 1;
  let i = text.indexOf('\r\n', from);
  while (i !== -1) {
    count++;
    i = text.indexOf('\r\n', i + 2);
  }
  return count;
}

/** The version at text[from, to) without slicing in the common case. */
function parseVersionAt(text: string, from: number, to: number): number {
  if (to - from === 8 && text.startsWith('HTTP/1.', from)) {
    const d = text.charCodeAt(from + 7);
    if (d === 49) return 1;
    if (d === 48) return 0;
  }
  return parseVersion(text.slice(from, to));
}

/** Fields the proxy adds to a forwarded request (x-request-id, x-forwarded-proto, XFCC). */
const REQUEST_SPARE = 3;

const COMMON_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'];

/** The method at the start of `text` (length `len`): a shared string when it is a common one. */
function methodAt(text: string, len: number): string {
  for (const m of COMMON_METHODS) if (m.length === len && text.startsWith(m)) return m;
  return text.slice(0, len);
}

function parseVersion(v: string): number {
  if (v === 'HTTP/1.1') return 1;
  if (v === 'HTTP/1.0') return 0;
  if (v.startsWith('HTTP/')) throw new HeadParseError(`unsupported version ${v.slice(0, 12)}`, 505);
  throw new HeadParseError('malformed request line', 400);
}

export function parseRequestHead(text: string, maxHeaderCount: number): RequestHead {
  let eol = text.indexOf('\r\n');
  if (eol === -1) {
    if (text.indexOf('\n') !== -1) throw new HeadParseError('bare LF line ends', 400);
    eol = text.length;
  }
  const sp1 = text.indexOf(' ');
  const sp2 = text.lastIndexOf(' ', eol - 1);
  if (sp1 <= 0 || sp1 >= eol || sp2 === sp1) throw new HeadParseError('malformed request line', 400);
  const method = methodAt(text, sp1);
  const target = text.slice(sp1 + 1, sp2);
  if (!isToken(method)) throw new HeadParseError('malformed method', 400);
  if (target.length === 0 || target.indexOf(' ') !== -1) throw new HeadParseError('malformed request target', 400);
  const minor = parseVersionAt(text, sp2 + 1, eol);
  const headers = parseFields(text, eol + 2, maxHeaderCount, REQUEST_SPARE);
  return { method, target, minor, headers };
}

/** Three decimal digits at text[at..at+3) as a number; -1 when they are not digits. */
function statusAt(text: string, at: number): number {
  let n = 0;
  for (let i = at; i < at + 3; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

export function parseResponseHead(text: string, maxHeaderCount: number): ResponseHead {
  let eol = text.indexOf('\r\n');
  if (eol === -1) eol = text.length;
  // "HTTP/1.1 200 OK" — the reason phrase may be empty or contain spaces.
  if (eol < 12 || text.charCodeAt(8) !== 32) throw new HeadParseError('malformed status line', 502);
  const minor = parseVersionAt(text, 0, 8);
  const status = statusAt(text, 9);
  if (status < 100 || status > 599) throw new HeadParseError('malformed status code', 502);
  const headers = parseFields(text, eol + 2, maxHeaderCount, 0);
  return { status, reason: text.slice(13, eol), minor, headers };
}
