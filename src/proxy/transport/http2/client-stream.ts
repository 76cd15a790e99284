// One try on an upstream HTTP/2 session: sends the request as a stream, streams the body in with
// backpressure, and reports the response through the request path's TryHandler.
import type {
  ClientHttp2Session,
  ClientHttp2Stream,
  IncomingHttpHeaders,
  IncomingHttpStatusHeader,
  OutgoingHttpHeaders,
} from 'node:http2';
import type { BodySource } from '../../http/exchange.js';
import type { HeaderList } from '../../http/headers.js';
import type { TryControl, TryHandler } from '../../app/upstream-send.js';
import type { OutgoingRequest } from '../../app/upstream-request.js';
import { Http2BodyWriter } from './body-writer.js';
import { addFields, fieldsFromObject, fieldsFromRaw, parseLength } from './fields.js';
import { resetStream, StreamResetError } from './stream-reset.js';
import { CANCEL, FLAG_END_STREAM, REFUSED_STREAM } from './wire-codes.js';

/** What a try needs from the connection it runs on (the pool's session entry). */
export interface StreamHost {
  /** The connection came up (before that, a failure means we never reached the endpoint). */
  readonly connected: boolean;
  /** Why the connection could not be made, in words: "connection refused by 127.0.0.1:9081". */
  connectFailure(err: Error | undefined): string;
  /** The stream closed, however it ended. */
  streamDone(): void;
}

const ERROR_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

export function h2ErrorName(code: number): string {
  return ERROR_NAMES[code] ?? `error code ${code}`;
}

export class Http2ClientTry implements TryControl {
  private stream: ClientHttp2Stream | undefined;
  /** The final response head went to the handler. */
  private responded = false;
  /** The handler has heard how the try ended (or the try was abandoned): say nothing more. */
  private done = false;
  private trailers: HeaderList | undefined;
  private error: (Error & { code?: string }) | undefined;

  constructor(
    private readonly host: StreamHost,
    private readonly h: TryHandler,
    /** Earlier streams ran on this session: a reset may just be a connection the peer dropped. */
    private readonly reused: boolean,
  ) {}

  start(session: ClientHttp2Session, out: OutgoingRequest, body: BodySource | undefined): void {
    if (out.upgrade !== undefined) {
      return this.failSoon('protocol', `cannot send an HTTP/1 upgrade (${out.upgrade}) to an HTTP/2 upstream`);
    }
    const fields: OutgoingHttpHeaders = { ':method': out.method, ':path': out.path, ':authority': out.authority, ':scheme': 'http' };
    addFields(fields, out.headers);
    if (body !== undefined && body.encoding === 'plain' && body.length !== undefined) fields['content-length'] = body.length;
    let s: ClientHttp2Stream;
    try {
      s = session.request(fields, { endStream: body === undefined });
    } catch (err) {
      // A session that just got GOAWAY, or a field HTTP/2 cannot carry.
      const e = err as Error & { code?: string };
      const gone = e.code === 'ERR_HTTP2_GOAWAY_SESSION' || e.code === 'ERR_HTTP2_INVALID_SESSION';
      return this.failSoon(gone ? 'reset' : 'protocol', gone ? 'connection closing (GOAWAY)' : e.message);
    }
    this.stream = s;
    s.on('response', this.onResponse);
    s.on('headers', this.onInterim);
    s.on('data', this.onData);
    s.once('trailers', this.onTrailers);
    s.once('end', this.onEnd);
    s.on('error', this.onError);
    s.once('close', this.onClose);
    if (body !== undefined) body.pipe(new Http2BodyWriter(s, body.encoding, false, this.cancel));
  }

  // ----- TryControl

  abandon(): void {
    this.done = true;
    this.cancel();
  }

  pause(): void {
    this.stream?.pause();
  }

  resume(): void {
    this.stream?.resume();
  }

  // -----

  /** A failure found before any stream exists: reported on the next tick, as the wire would. */
  private failSoon(kind: 'reset' | 'protocol', message: string): void {
    this.host.streamDone();
    process.nextTick(() => {
      if (this.done) return;
      this.done = true;
      this.h.fail(kind, message, false, kind === 'reset' || this.reused);
    });
  }

  /** Ends the stream early: CANCEL once the request is sent whole, else a reset (see stream-reset.ts). */
  private readonly cancel = (): void => {
    if (this.stream !== undefined) resetStream(this.stream, CANCEL, 'request body incomplete');
  };

  private readonly onResponse = (headers: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number, raw?: string[]): void => {
    if (this.done) return;
    this.responded = true;
    const status = Number(headers[':status']);
    const fields = raw !== undefined ? fieldsFromRaw(raw) : fieldsFromObject(headers);
    if ((flags & FLAG_END_STREAM) !== 0) {
      // No body (HEAD, 204, gRPC trailers-only): the head is the whole answer.
      this.done = true;
      this.h.head(status, fields, undefined, undefined);
      return;
    }
    this.h.head(status, fields, 'plain', parseLength(headers['content-length']));
  };

  private readonly onInterim = (headers: IncomingHttpHeaders & IncomingHttpStatusHeader, _flags: number, raw?: string[]): void => {
    if (this.done || this.responded) return;
    this.h.interim(Number(headers[':status']), raw !== undefined ? fieldsFromRaw(raw) : fieldsFromObject(headers));
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.done) return;
    if (!this.h.data(chunk)) this.stream!.pause();
  };

  private readonly onTrailers = (t: IncomingHttpHeaders): void => {
    this.trailers = fieldsFromObject(t);
  };

  private readonly onEnd = (): void => {
    if (this.done) return;
    this.done = true;
    this.h.end(this.trailers);
  };

  private readonly onError = (err: Error): void => {
    this.error ??= err;
  };

  private readonly onClose = (): void => {
    this.host.streamDone();
    if (this.done) return;
    this.done = true;
    const h = this.h;
    if (!this.host.connected && !this.responded) {
      // node cancels pending streams with the socket's error as the cause.
      const err = this.error;
      return h.noConnection('connect-failure', this.host.connectFailure((err?.cause as Error | undefined) ?? err));
    }
    const code = this.stream!.rstCode ?? 0;
    if (code === REFUSED_STREAM) {
      // Also how nghttp2 ends streams past a GOAWAY's last stream id: never processed, safe to retry.
      return h.fail('refused-stream', 'upstream refused the stream (REFUSED_STREAM)', this.responded, this.reused);
    }
    h.fail('reset', this.describeClose(code), this.responded, this.reused);
  };

  private describeClose(code: number): string {
    const err = this.error;
    if (err?.code === 'ERR_HTTP2_GOAWAY_SESSION' || err?.code === 'ERR_HTTP2_SESSION_ERROR') return `connection closed by upstream (GOAWAY, ${err.message})`;
    if (err?.code === 'ECONNRESET') return 'connection reset by upstream';
    if (err instanceof StreamResetError) return `stream reset by the proxy: ${err.message}`;
    if (err !== undefined && err.code !== 'ERR_HTTP2_STREAM_ERROR') return `connection failed (${err.message})`;
    return `stream reset by upstream (${h2ErrorName(code)})`;
  }
}
