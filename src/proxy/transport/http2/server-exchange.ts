// The response side of one downstream HTTP/2 stream, as a DownstreamResponse (and its own
// BodySink, so an exchange is one object).
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { BodySink, DownstreamResponse, ResponseHeadOut } from '../../http/exchange.js';
import type { HeaderList } from '../../http/headers.js';
import { Http2BodyWriter } from './body-writer.js';
import { addFields } from './fields.js';
import { resetStream } from './stream-reset.js';
import { INTERNAL_ERROR } from './wire-codes.js';
import type { Http2StreamBody } from './stream-body.js';

/** What the session keeps count of: streams in flight, and streams the client cut short. */
export interface StreamAccounting {
  streamClosed(premature: boolean): void;
}

export class Http2ServerExchange implements DownstreamResponse, BodySink {
  headSent = false;
  onDownstreamClose: (() => void) | undefined = undefined;
  private writer: Http2BodyWriter | undefined;
  /** The response is complete on our side (ended or reset): a later close is not the client's doing. */
  private finished = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly requestBody: Http2StreamBody | undefined,
    private readonly isHead: boolean,
    private readonly grpc: boolean,
    private readonly accounting: StreamAccounting,
  ) {
    stream.on('close', this.onClose);
    stream.on('error', noop); // the outcome is read in 'close'
  }

  get body(): BodySink {
    return this;
  }

  writeHead(head: ResponseHeadOut): void {
    if (this.headSent) throw new Error('response head already sent');
    this.headSent = true;
    const s = this.stream;
    if (this.finished || s.destroyed || s.closed) return;
    const fields: OutgoingHttpHeaders = { ':status': head.status };
    addFields(fields, head.headers);
    const hasBody = head.encoding !== undefined && !this.isHead && head.status !== 204 && head.status !== 304;
    try {
      if (!hasBody) {
        // A HEAD answer tells the length of what a GET would get.
        if (this.isHead && head.length !== undefined && fields['content-length'] === undefined) fields['content-length'] = head.length;
        // Includes gRPC "trailers-only" answers: grpc-status rides in this one HEADERS frame.
        s.respond(fields, { endStream: true });
        this.complete();
        return;
      }
      if (head.length !== undefined) fields['content-length'] = head.length;
      // Trailers are only possible when we wait for them before END_STREAM. A body of unknown
      // length (streamed, gRPC) may end with some; one with a known length practically never.
      const withTrailers = head.length === undefined || this.grpc;
      s.respond(fields, { waitForTrailers: withTrailers });
      this.writer = new Http2BodyWriter(s, head.encoding!, withTrailers, this.failBody);
    } catch {
      // node refused the head (a field HTTP/2 cannot carry, a bad status): nothing valid to send.
      this.reset();
    }
  }

  writeInterim(status: number, _headers: HeaderList): void {
    // 100 Continue is the one interim answer the request path relays (Expect: 100-continue).
    if (status !== 100 || this.headSent || this.finished || this.stream.destroyed) return;
    this.stream.additionalHeaders({ ':status': 100 });
  }

  reset(): void {
    if (this.finished) return;
    this.finished = true;
    resetStream(this.stream, INTERNAL_ERROR, 'response abandoned by the proxy');
  }

  // ----- BodySink (the response body)

  data(chunk: Buffer): boolean {
    return this.writer === undefined || this.finished ? true : this.writer.data(chunk);
  }

  onDrain(cb: () => void): void {
    if (this.writer === undefined || this.finished) cb();
    else this.writer.onDrain(cb);
  }

  end(trailers?: HeaderList): void {
    if (this.finished) return;
    if (this.writer) this.writer.end(trailers);
    this.complete();
  }

  abort(): void {
    this.reset();
  }

  // -----

  private readonly failBody = (): void => this.reset();

  /**
   * Our side is done. If the client is still uploading, node itself stops it with
   * RST_STREAM(NO_ERROR) once our last frame (trailers included) is out, as RFC 9113 §8.1
   * allows; closing here ourselves would race the trailers away.
   */
  private complete(): void {
    this.finished = true;
  }

  private readonly onClose = (): void => {
    const premature = !this.finished;
    this.finished = true;
    this.requestBody?.abort(new Error(`stream closed before the request body ended (code ${this.stream.rstCode ?? 'none'})`));
    if (premature) this.onDownstreamClose?.();
    this.accounting.streamClosed(premature);
  };
}

function noop(): void {}
