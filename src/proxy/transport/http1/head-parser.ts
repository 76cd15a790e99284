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
 * Fills `headers` and returns the index just after the start line.
 */
function parseFields(text: string, from: number, maxCount: number, headers: HeaderList): void {
  let pos = from;
  const len = text.length;
  while (pos < len) {
    let eol = text.indexOf('\r\n', pos);
    if (eol === -1) eol = len;
    if (eol === pos) throw new HeadParseError('empty header line', 400);
    const first = text.charCodeAt(pos);
    if (first === 32 || first === 9) throw new HeadParseError('obsolete header line folding is not allowed', 400);
    const colon = text.indexOf(':', pos);
    if (colon === -1 || colon > eol) throw new HeadParseError('header line without a colon', 400);
    const name = text.slice(pos, colon);
    if (!isToken(name)) throw new HeadParseError(`invalid header name "${name.slice(0, 40)}"`, 400);
    // Skip optional whitespace around the value by index: one slice instead of slice + trim.
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    const value = text.slice(vs, ve);
    if (hasBadValueChar(value)) throw new HeadParseError(`invalid character in header ${name}`, 400);
    if (headers.names.length >= maxCount) throw new HeadParseError(`more than ${maxCount} header fields`, 431);
    headers.names.push(name.toLowerCase());
    headers.values.push(value);
    pos = eol + 2;
  }
}

function parseVersion(v: string): number {
  if (v === 'HTTP/1.1') return 1;
  if (v === 'HTTP/1.0') return 0;
  if (v.startsWith('HTTP/')) throw new HeadParseError(`unsupported version ${v.slice(0, 12)}`, 505);
  throw new HeadParseError('malformed request line', 400);
}

export function parseRequestHead(text: string, maxHeaderCount: number): RequestHead {
  if (text.indexOf('\n') !== -1 && text.indexOf('\r\n') === -1) throw new HeadParseError('bare LF line ends', 400);
  let eol = text.indexOf('\r\n');
  if (eol === -1) eol = text.length;
  const line = text.slice(0, eol);
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 === sp1) throw new HeadParseError('malformed request line', 400);
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  if (!isToken(method)) throw new HeadParseError('malformed method', 400);
  if (target.length === 0 || target.indexOf(' ') !== -1) throw new HeadParseError('malformed request target', 400);
  const minor = parseVersion(line.slice(sp2 + 1));
  const headers = new HeaderList();
  parseFields(text, eol + 2, maxHeaderCount, headers);
  return { method, target, minor, headers };
}

export function parseResponseHead(text: string, maxHeaderCount: number): ResponseHead {
  let eol = text.indexOf('\r\n');
  if (eol === -1) eol = text.length;
  const line = text.slice(0, eol);
  // "HTTP/1.1 200 OK" — the reason phrase may be empty or contain spaces.
  if (line.length < 12 || line.charCodeAt(8) !== 32) throw new HeadParseError('malformed status line', 502);
  const minor = parseVersion(line.slice(0, 8));
  const status = Number(line.slice(9, 12));
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new HeadParseError('malformed status code', 502);
  const headers = new HeaderList();
  parseFields(text, eol + 2, maxHeaderCount, headers);
  return { status, reason: line.slice(13), minor, headers };
}
