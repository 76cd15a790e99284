// Writes HTTP/1 message heads.
//
// Heads are serialized straight into a Buffer, one byte per character (latin1, as received),
// with a plain loop: for the few hundred bytes of a head that is cheaper than building a string
// (a rope node per `+`, then a flat copy when the socket encodes it) and allocates nothing. The
// bytes go into a scratch buffer shared by all connections, which is only ever replaced when a
// write leaves it referenced (see `retireScratch`).
import { STATUS_CODES } from '../../http/status-codes.js';
import type { HeaderList } from '../../http/headers.js';

/** "name: value\r\n" for every field, as a string (interim responses; rare). Caller adds the blank line. */
export function serializeHeaders(headers: HeaderList): string {
  let out = '';
  const { names, values } = headers;
  for (let i = 0; i < names.length; i++) out += names[i] + ': ' + values[i] + '\r\n';
  return out;
}

export function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

const SCRATCH_SIZE = 32 * 1024;
let scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);

/** A buffer of at least `size` bytes to serialize into: the shared scratch when it fits. */
export function scratchBuffer(size: number): Buffer {
  return size <= scratch.length ? scratch : Buffer.allocUnsafe(size);
}

/** `buf` is still referenced by a write (queued, or held by the Writable): stop reusing it. */
export function retireScratch(buf: Buffer): void {
  if (buf === scratch) {
    scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
    views.fill(undefined);
  }
}

// Views scratch[0, n) for the last few lengths n. Heads (and small responses) repeat their
// lengths, and a subarray is a new typed-array object (~100 bytes) per write otherwise.
const VIEW_SLOTS = 4;
const views: (Buffer | undefined)[] = new Array<Buffer | undefined>(VIEW_SLOTS).fill(undefined);
let nextSlot = 0;

/** buf[0, end): a cached view when `buf` is the scratch buffer. */
export function headView(buf: Buffer, end: number): Buffer {
  if (buf !== scratch) return buf.subarray(0, end);
  for (let i = 0; i < VIEW_SLOTS; i++) {
    const v = views[i];
    if (v !== undefined && v.length === end) return v;
  }
  const v = buf.subarray(0, end);
  views[nextSlot] = v;
  nextSlot = (nextSlot + 1) % VIEW_SLOTS;
  return v;
}

function put(buf: Buffer, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  return at + s.length;
}

function putCrlf(buf: Buffer, at: number): number {
  buf[at] = 13;
  buf[at + 1] = 10;
  return at + 2;
}

function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function putDecimal(buf: Buffer, at: number, n: number): number {
  const end = at + decimalDigits(n);
  let i = end;
  do {
    buf[--i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

function fieldsSize(headers: HeaderList): number {
  const { names, values } = headers;
  let size = 0;
  for (let i = 0; i < names.length; i++) size += names[i].length + values[i].length + 4;
  return size;
}

function putFields(buf: Buffer, at: number, headers: HeaderList): number {
  const { names, values } = headers;
  let p = at;
  for (let i = 0; i < names.length; i++) {
    p = put(buf, p, names[i]);
    buf[p++] = 58; // ':'
    buf[p++] = 32;
    p = put(buf, p, values[i]);
    p = putCrlf(buf, p);
  }
  return p;
}

const CONTENT_LENGTH = 'content-length: ';

/** Bytes of the "content-length: N\r\n" line; 0 when `length` is -1 (no line). */
function lengthLineSize(length: number): number {
  return length < 0 ? 0 : CONTENT_LENGTH.length + decimalDigits(length) + 2;
}

function putLengthLine(buf: Buffer, at: number, length: number): number {
  if (length < 0) return at;
  return putCrlf(buf, putDecimal(buf, put(buf, at, CONTENT_LENGTH), length));
}

const statusLines: string[] = [];

function statusLine(status: number): string {
  return (statusLines[status] ??= `HTTP/1.1 ${status} ${statusText(status)}\r\n`);
}

/**
 * Size of a response head: the status line, `headers`, a content-length line unless `length` is
 * -1, the lines in `extra` (framing and connection fields, each ending in CRLF), the blank line.
 */
export function responseHeadSize(status: number, headers: HeaderList, length: number, extra: string): number {
  return statusLine(status).length + fieldsSize(headers) + lengthLineSize(length) + extra.length + 2;
}

/** Writes that head at buf[at..] (room for `responseHeadSize` bytes is the caller's); returns the end. */
export function putResponseHead(buf: Buffer, at: number, status: number, headers: HeaderList, length: number, extra: string): number {
  let p = put(buf, at, statusLine(status));
  p = putFields(buf, p, headers);
  p = putLengthLine(buf, p, length);
  p = put(buf, p, extra);
  return putCrlf(buf, p);
}

/** The parts of a request head that vary per request. */
export interface RequestHeadParts {
  method: string;
  /** Origin-form target. */
  path: string;
  authority: string;
  headers: HeaderList;
}

const VERSION_HOST = ' HTTP/1.1\r\nhost: ';

/** Size of `method path HTTP/1.1`, host, `headers`, the content-length line (unless -1), `extra`, blank line. */
export function requestHeadSize(h: RequestHeadParts, length: number, extra: string): number {
  return h.method.length + 1 + h.path.length + VERSION_HOST.length + h.authority.length + 2 + fieldsSize(h.headers) + lengthLineSize(length) + extra.length + 2;
}

export function putRequestHead(buf: Buffer, at: number, h: RequestHeadParts, length: number, extra: string): number {
  let p = put(buf, at, h.method);
  buf[p++] = 32;
  p = put(buf, p, h.path);
  p = put(buf, p, VERSION_HOST);
  p = putCrlf(buf, put(buf, p, h.authority));
  p = putFields(buf, p, h.headers);
  p = putLengthLine(buf, p, length);
  p = put(buf, p, extra);
  return putCrlf(buf, p);
}
