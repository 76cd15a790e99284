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
  const names = h.names;
  // Most requests carry no hop-by-hop field: look before paying for splices.
  let strip = false;
  for (let i = 0; i < names.length && !strip; i++) strip = mustStrip(names[i], h.values[i], tokens);
  if (strip) {
    for (let i = names.length - 1; i >= 0; i--) {
      if (mustStrip(names[i], h.values[i], tokens)) {
        names.splice(i, 1);
        h.values.splice(i, 1);
      }
    }
  }
  if (!h.has('x-request-id')) h.add('x-request-id', nextRequestId());
  // The caller's verified mesh identity, for the app (as Istio's XFCC); never trust one sent to us.
  if (h.has('x-forwarded-client-cert')) h.remove('x-forwarded-client-cert');
  if (req.conn.peerIdentity !== undefined) h.add('x-forwarded-client-cert', 'URI=' + req.conn.peerIdentity);
  h.set('x-forwarded-proto', req.scheme);
  return h;
}

function mustStrip(name: string, value: string, tokens: readonly string[] | undefined): boolean {
  if (name === 'host' || name.charCodeAt(0) === 58 /* ":authority" and friends from HTTP/2 */) return true;
  if (!isHopByHop(name, tokens)) return false;
  return !(name === 'te' && value.toLowerCase() === 'trailers'); // gRPC needs "te: trailers" end to end
}

/** The HTTP/1.1 request head as one latin1 string, framing fields included. */
export function http1Head(out: OutgoingRequest, bodyMode: 'raw' | 'chunk'): string {
  let s = out.method + ' ' + out.path + ' HTTP/1.1\r\nhost: ' + out.authority + '\r\n';
  const { names, values } = out.headers;
  for (let i = 0; i < names.length; i++) s += names[i] + ': ' + values[i] + '\r\n';
  const body = out.body;
  if (body) {
    if (body.encoding === 'plain' && body.length !== undefined && bodyMode === 'raw') s += 'content-length: ' + body.length + '\r\n';
    else s += 'transfer-encoding: chunked\r\n';
  }
  if (out.upgrade !== undefined) s += 'connection: upgrade\r\nupgrade: ' + out.upgrade + '\r\n';
  return s + '\r\n';
}

/** How body bytes must be written on an HTTP/1 upstream given how they arrive. */
export function http1BodyMode(body: OutgoingRequest['body']): 'raw' | 'chunk' {
  if (!body) return 'raw';
  if (body.encoding === 'chunked-wire') return 'raw'; // already chunk-framed
  return body.length !== undefined ? 'raw' : 'chunk';
}
