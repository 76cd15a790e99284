// Builds what is sent upstream from what came downstream: the request head for HTTP/1, with
// hop-by-hop fields dropped and the proxy's own fields (request id, forwarded proto) added.
import type { HeaderList } from '../http/headers.js';
import type { DownstreamRequest, BodyEncoding } from '../http/exchange.js';
import { connectionTokens, isHopByHop } from '../transport/http1/framing.js';
import { nextRequestId } from '../http/request-id.js';

export interface OutgoingRequest {
  method: string;
  path: string;
  authority: string;
  headers: HeaderList;
  body: { encoding: BodyEncoding; length: number | undefined } | undefined;
  /** The upgrade protocol to request (WebSocket), kept as hop-by-hop fields on HTTP/1. */
  upgrade: string | undefined;
}

/**
 * Prepares the end-to-end header list once per request (retries reuse it). Mutates and returns
 * `req.headers`: the downstream message is not needed in its original form afterwards.
 */
export function prepareHeaders(req: DownstreamRequest): HeaderList {
  const h = req.headers;
  const tokens = req.protocol === 'http1' ? connectionTokens(h) : undefined;
  const { names, values } = h;
  // One pass, compacting in place (splice would allocate per removed field): drops hop-by-hop
  // fields, Host (sent from the authority), and a client-sent XFCC and x-forwarded-proto, which
  // are the proxy's to set; notes whether a request id came along.
  let kept = 0;
  let hasId = false;
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    if (mustStrip(n, values[i], tokens) || n === 'x-forwarded-client-cert' || n === 'x-forwarded-proto') continue;
    if (n === 'x-request-id') hasId = true;
    if (kept !== i) {
      names[kept] = n;
      values[kept] = values[i];
    }
    kept++;
  }
  // The proxy's fields go in at `kept` onwards, and the length is set once at the end: setting it
  // to `kept` first would drop the backing store when every field was stripped (often: only Host
  // came), and each push would then allocate a new one. Names are lower-case already.
  if (!hasId) {
    names[kept] = 'x-request-id';
    values[kept++] = nextRequestId();
  }
  // The caller's verified mesh identity, for the app (as Istio's XFCC); never trust one sent to us.
  if (req.conn.peerIdentity !== undefined) {
    names[kept] = 'x-forwarded-client-cert';
    values[kept++] = 'URI=' + req.conn.peerIdentity;
  }
  names[kept] = 'x-forwarded-proto';
  values[kept++] = req.scheme;
  names.length = kept;
  values.length = kept;
  return h;
}

function mustStrip(name: string, value: string, tokens: readonly string[] | undefined): boolean {
  if (name === 'host' || name.charCodeAt(0) === 58 /* ":authority" and friends from HTTP/2 */) return true;
  if (!isHopByHop(name, tokens)) return false;
  return !(name === 'te' && value.toLowerCase() === 'trailers'); // gRPC needs "te: trailers" end to end
}

/** The content-length to send on HTTP/1, or -1 when the body is chunked (or absent). */
export function http1Length(out: OutgoingRequest, bodyMode: 'raw' | 'chunk'): number {
  const body = out.body;
  return body !== undefined && body.encoding === 'plain' && body.length !== undefined && bodyMode === 'raw' ? body.length : -1;
}

/** The HTTP/1 request head's framing and upgrade lines besides content-length ('' for most requests). */
export function http1ExtraLines(out: OutgoingRequest, bodyMode: 'raw' | 'chunk'): string {
  let s = '';
  if (out.body !== undefined && http1Length(out, bodyMode) === -1) s += 'transfer-encoding: chunked\r\n';
  if (out.upgrade !== undefined) s += 'connection: upgrade\r\nupgrade: ' + out.upgrade + '\r\n';
  return s;
}

/** How body bytes must be written on an HTTP/1 upstream given how they arrive. */
export function http1BodyMode(body: OutgoingRequest['body']): 'raw' | 'chunk' {
  if (!body) return 'raw';
  if (body.encoding === 'chunked-wire') return 'raw'; // already chunk-framed
  return body.length !== undefined ? 'raw' : 'chunk';
}
