// The consistent-hash key of a request, as a DestinationRule's consistentHash names it:
// httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName.
//
// undefined means "this request has no key" (header or cookie absent…): the ring balancer then
// picks at random, as Envoy does when a hash policy yields no hash. An empty value that is
// present ("x-user:" or "?user=") is a key like any other.
//
// The policy is compiled once (lower-cased names, the cookie prefix to look for) and cached per
// policy object, so the request path does only string scans.
import type { HashPolicy } from '../../model/snapshot.js';
import type { HeaderList } from '../http/headers.js';

export interface HashKeyRequest {
  headers: HeaderList;
  /** The request target: path and query string ("/a/b?x=1"). */
  path: string;
  /** The downstream peer's IP address. */
  remoteAddress: string;
}

type KeyFn = (req: HashKeyRequest) => string | undefined;

const compiled = new WeakMap<HashPolicy, KeyFn>();

export function hashKeyFor(policy: HashPolicy, req: HashKeyRequest): string | undefined {
  let fn = compiled.get(policy);
  if (fn === undefined) {
    fn = compileHashKey(policy);
    compiled.set(policy, fn);
  }
  return fn(req);
}

/** The key function for a policy; hashKeyFor caches it, callers that hold policies may too. */
export function compileHashKey(policy: HashPolicy): KeyFn {
  if ('header' in policy) {
    const name = policy.header.toLowerCase();
    return (req) => headerKey(req.headers, name);
  }
  if ('cookie' in policy) {
    const name = policy.cookie;
    return (req) => cookieValue(req.headers, name);
  }
  if ('queryParameter' in policy) {
    const name = policy.queryParameter;
    return (req) => queryParameter(req.path, name);
  }
  return (req) => sourceIp(req.remoteAddress);
}

/**
 * The header's value. A header sent more than once hashes all its values, sorted (as Envoy does),
 * so the key does not depend on the order intermediaries happened to write them in.
 */
function headerKey(headers: HeaderList, name: string): string | undefined {
  const names = headers.names;
  let first = -1;
  let more = false;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== name) continue;
    if (first === -1) first = i;
    else {
      more = true;
      break;
    }
  }
  if (first === -1) return undefined;
  if (!more) return headers.values[first];
  return headers.getAll(name).sort().join(',');
}

/**
 * The value of cookie `name` from the request's Cookie header(s): HTTP/2 clients may send one
 * `cookie` field per cookie, HTTP/1 clients one field with "a=1; b=2". The first match wins. A
 * value in double quotes (allowed by RFC 6265) is unquoted, as Envoy does.
 */
export function cookieValue(headers: HeaderList, name: string): string | undefined {
  const names = headers.names;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== 'cookie') continue;
    const v = findCookie(headers.values[i], name);
    if (v !== undefined) return v;
  }
  return undefined;
}

function findCookie(header: string, name: string): string | undefined {
  let pos = 0;
  const len = header.length;
  while (pos < len) {
    let end = header.indexOf(';', pos);
    if (end === -1) end = len;
    // Skip leading whitespace of this pair.
    let s = pos;
    while (s < end && (header.charCodeAt(s) === 32 || header.charCodeAt(s) === 9)) s++;
    const eq = header.indexOf('=', s);
    if (eq !== -1 && eq < end && eq - s === name.length && header.startsWith(name, s)) {
      let vs = eq + 1;
      let ve = end;
      while (ve > vs && (header.charCodeAt(ve - 1) === 32 || header.charCodeAt(ve - 1) === 9)) ve--;
      if (ve - vs >= 2 && header.charCodeAt(vs) === 34 && header.charCodeAt(ve - 1) === 34) {
        vs++;
        ve--;
      }
      return header.slice(vs, ve);
    }
    pos = end + 1;
  }
  return undefined;
}

/**
 * The first value of query parameter `name`, as sent (not percent-decoded, as Envoy's
 * query_parameter hash policy does): the key only has to be stable, not readable. A parameter
 * present without "=" yields "". The fragment, if a client sent one, is ignored.
 */
export function queryParameter(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  if (q === -1) return undefined;
  let end = path.indexOf('#', q + 1);
  if (end === -1) end = path.length;
  let pos = q + 1;
  while (pos < end) {
    let amp = path.indexOf('&', pos);
    if (amp === -1 || amp > end) amp = end;
    const eq = path.indexOf('=', pos);
    const nameEnd = eq !== -1 && eq < amp ? eq : amp;
    if (nameEnd - pos === name.length && path.startsWith(name, pos)) {
      return nameEnd === amp ? '' : path.slice(nameEnd + 1, amp);
    }
    pos = amp + 1;
  }
  return undefined;
}

/**
 * The client's IP. An IPv4 address seen through an IPv6 socket ("::ffff:10.0.0.1") is reduced to
 * "10.0.0.1", so one client hashes the same whichever listener family it arrived on.
 */
function sourceIp(remoteAddress: string): string | undefined {
  if (remoteAddress === '') return undefined;
  if (remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.')) return remoteAddress.slice(7);
  return remoteAddress;
}
