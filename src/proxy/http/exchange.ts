// The protocol-neutral shape of one proxied exchange. HTTP/1 and HTTP/2 codecs on both sides
// implement these, so the request path (routing, retries, filters) is written once.
import type { HeaderList } from './headers.js';
import type { ConnectionInfo } from '../transport/connection-info.js';

/**
 * How body bytes are framed as they flow. `chunked-wire` bytes are HTTP/1 chunked framing
 * forwarded untouched (the fast HTTP/1 → HTTP/1 path); consumers that need the payload decode
 * them. `plain` bytes are payload.
 */
export type BodyEncoding = 'plain' | 'chunked-wire';

/** Receives a body. `data` returns false to ask the producer to pause until `resume`. */
export interface BodySink {
  data(chunk: Buffer): boolean;
  /** After `data` returned false: `cb` runs once when the sink can take more. */
  onDrain(cb: () => void): void;
  end(trailers?: HeaderList): void;
  /** The producer failed (peer reset, bad framing): the message is incomplete. */
  abort(err: Error): void;
}

/** A body being received. Data flows once `pipe` is called; before that it is held back. */
export interface BodySource {
  readonly encoding: BodyEncoding;
  /** Content length when known (plain), else undefined. */
  readonly length: number | undefined;
  pipe(sink: BodySink): void;
  pause(): void;
  resume(): void;
}

export interface DownstreamRequest {
  method: string;
  /** Origin-form path with query. */
  path: string;
  authority: string;
  scheme: 'http' | 'https';
  headers: HeaderList;
  protocol: 'http1' | 'http2';
  /** undefined: no body at all. */
  body: BodySource | undefined;
  conn: ConnectionInfo;
  /** true for gRPC requests (content-type application/grpc*). */
  grpc: boolean;
  /** HTTP/1 upgrade requested (WebSocket); the upstream decides with 101. */
  upgrade: string | undefined;
}

export interface ResponseHeadOut {
  status: number;
  headers: HeaderList;
  /** Body framing the producer will deliver; undefined = no body. */
  encoding: BodyEncoding | undefined;
  length: number | undefined;
}

export interface DownstreamResponse {
  /** True once the head went out (too late to send a different response or retry). */
  readonly headSent: boolean;
  writeHead(head: ResponseHeadOut): void;
  /** 1xx interim response (100 Continue). */
  writeInterim(status: number, headers: HeaderList): void;
  readonly body: BodySink;
  /** Abandon the exchange: reset the stream / close the connection mid-response. */
  reset(): void;
  /** Set by the request path: called if the client goes away before the response is done. */
  onDownstreamClose: (() => void) | undefined;
  /** Switch to a raw byte tunnel after a 101 (HTTP/1 upgrade). */
  tunnel?(upstream: import('node:net').Socket, upstreamHead: Buffer): void;
}
