// Header fields between HeaderList (what the request path speaks) and node:http2's header
// objects. HTTP/2 forbids connection-specific fields (RFC 9113 §8.2.2) and node:http2 throws on
// them, so they are left out here rather than trusted to be gone already.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { HeaderList } from '../../http/headers.js';

const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);

function forbidden(name: string, value: string): boolean {
  if (name.charCodeAt(0) === 58) return true; // a pseudo-header (":path") is never a field to copy
  if (name === 'te') return value.toLowerCase() !== 'trailers'; // only "te: trailers" may cross
  return CONNECTION_SPECIFIC.has(name);
}

/** Copies `h` into `target` (repeated fields become arrays) and returns `target`. */
export function addFields(target: OutgoingHttpHeaders, h: HeaderList): OutgoingHttpHeaders {
  const { names, values } = h;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const value = values[i];
    if (forbidden(name, value)) continue;
    const prev = target[name];
    if (prev === undefined) target[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else target[name] = [String(prev), value];
  }
  return target;
}

/**
 * Fields of a received header block from node's flat raw list ([name, value, ...]), without the
 * pseudo-headers. Names arrive lower-cased (nghttp2 rejects others). Cookie crumbs, which HTTP/2
 * allows to be split across fields, are joined again (RFC 9113 §8.2.3): an HTTP/1 upstream
 * needs one cookie field.
 */
export function fieldsFromRaw(raw: readonly string[]): HeaderList {
  const names: string[] = [];
  const values: string[] = [];
  let cookie = -1;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58) continue;
    if (name === 'cookie') {
      if (cookie !== -1) {
        values[cookie] += '; ' + raw[i + 1];
        continue;
      }
      cookie = names.length;
    }
    names.push(name);
    values.push(raw[i + 1]);
  }
  return new HeaderList(names, values);
}

/** Fields of node's header object (trailers, or when no raw list is given), pseudo-headers left out. */
export function fieldsFromObject(obj: IncomingHttpHeaders): HeaderList {
  const names: string[] = [];
  const values: string[] = [];
  for (const name of Object.keys(obj)) {
    if (name.charCodeAt(0) === 58) continue;
    const v = obj[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      for (const one of v) {
        names.push(name);
        values.push(one);
      }
    } else {
      names.push(name);
      values.push(String(v));
    }
  }
  return new HeaderList(names, values);
}

/** A content-length value as a number, or undefined when absent or not a plain decimal. */
export function parseLength(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > 15) return undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(v);
}
