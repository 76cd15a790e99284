// Builds what is sent upstream from what came downstream: the request head for HTTP/1, with
// hop-by-hop fields dropped and the proxy's own fields (request id, forwarded proto) added.
import { randomUUID } from 'node:crypto';
import type { HeaderList } from '../http/headers.js';
import type { DownstreamRequest, BodyEncoding } from '../http/exchange.js';
import { connectionTokens, isHopByHop } from '../transport/http1/framing.js';

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
  for (let i = names.length - 1; i >= 0; i--) {
    const n = names[i];
    const pseudo = n.charCodeAt(0) === 58; // ":authority" and friends from HTTP/2
    if (n === 'host' || pseudo || isHopByHop(n, tokens)) {
      if (n === 'te' && h.values[i].toLowerCase() === 'trailers') continue; // gRPC needs it end to end
      names.splice(i, 1);
      h.values.splice(i, 1);
    }
  }
  if (!h.has('x-request-id')) h.add('x-request-id', randomUUID());
  h.set('x-forwarded-proto', req.scheme);
  return h;
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
