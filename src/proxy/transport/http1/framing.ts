// Message framing rules of RFC 9112 §6: how long a body is, and which fields are hop-by-hop.
import type { HeaderList } from '../../http/headers.js';
import { HeadParseError } from './head-parser.js';

export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  /** Response only: the body runs until the server closes the connection. */
  | { kind: 'close' };

const NONE: Framing = { kind: 'none' };

const DIGITS = /^\d{1,15}$/;

function contentLength(headers: HeaderList): number | undefined {
  const first = headers.names.indexOf('content-length');
  if (first === -1) return undefined;
  // The common case, one plain number, without building arrays.
  const v0 = headers.values[first];
  if (headers.names.indexOf('content-length', first + 1) === -1 && DIGITS.test(v0)) return Number(v0);
  const all = headers.getAll('content-length');
  // Repeated identical values ("5, 5") are tolerated; differing ones are a smuggling attempt.
  let value: string | undefined;
  for (const raw of all) {
    for (const part of raw.split(',')) {
      const v = part.trim();
      if (value !== undefined && v !== value) throw new HeadParseError('conflicting Content-Length values', 400);
      value = v;
    }
  }
  if (value === undefined || !DIGITS.test(value)) throw new HeadParseError('invalid Content-Length', 400);
  return Number(value);
}

function isChunked(headers: HeaderList): boolean | undefined {
  if (headers.names.indexOf('transfer-encoding') === -1) return undefined; // the common case, no array built
  const te = headers.getAll('transfer-encoding');
  if (te.length === 0) return undefined;
  const codings = te.join(',').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean);
  if (codings[codings.length - 1] !== 'chunked') return false;
  if (codings.length > 1) throw new HeadParseError(`unsupported transfer-coding "${codings[0]}"`, 501);
  return true;
}

export function requestFraming(headers: HeaderList): Framing {
  const chunked = isChunked(headers);
  if (chunked !== undefined) {
    if (!chunked) throw new HeadParseError('Transfer-Encoding must end with chunked', 400);
    if (headers.has('content-length')) throw new HeadParseError('both Transfer-Encoding and Content-Length', 400);
    return { kind: 'chunked' };
  }
  const length = contentLength(headers);
  return length === undefined || length === 0 ? NONE : { kind: 'length', length };
}

export function responseFraming(headers: HeaderList, status: number, requestMethod: string): Framing {
  if (requestMethod === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return NONE;
  const chunked = isChunked(headers);
  if (chunked === true) return { kind: 'chunked' };
  if (chunked === false) return { kind: 'close' };
  const length = contentLength(headers);
  if (length === undefined) return { kind: 'close' };
  return length === 0 ? NONE : { kind: 'length', length };
}

/** Fields that describe one hop, never forwarded (RFC 9110 §7.6.1), plus our framing fields. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'content-length',
]);

/**
 * Whether field `name` should be dropped when forwarding. `connectionTokens` are the names the
 * sender listed in its Connection header, which are hop-by-hop too.
 */
export function isHopByHop(name: string, connectionTokens: readonly string[] | undefined): boolean {
  return HOP_BY_HOP.has(name) || (connectionTokens !== undefined && connectionTokens.includes(name));
}

/** Shared answers for the values almost every message carries (callers only read them). */
const COMMON_TOKENS = new Map<string, readonly string[]>([
  ['keep-alive', ['keep-alive']],
  ['Keep-Alive', ['keep-alive']],
  ['close', ['close']],
  ['Close', ['close']],
  ['upgrade', ['upgrade']],
  ['Upgrade', ['upgrade']],
]);

/** Lower-cased tokens of the Connection header(s), or undefined when absent (the common case). */
export function connectionTokens(headers: HeaderList): readonly string[] | undefined {
  const names = headers.names;
  const first = names.indexOf('connection');
  if (first === -1) return undefined;
  const raw = headers.values[first];
  if (names.indexOf('connection', first + 1) === -1) {
    const common = COMMON_TOKENS.get(raw);
    if (common !== undefined) return common;
  }
  const all = headers.getAll('connection').join(',');
  return (all || raw)
    .toLowerCase()
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Keep-alive per RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive". */
export function wantsKeepAlive(minor: number, tokens: readonly string[] | undefined): boolean {
  if (tokens?.includes('close')) return false;
  if (minor >= 1) return true;
  return tokens?.includes('keep-alive') ?? false;
}
