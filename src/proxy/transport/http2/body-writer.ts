// Writes a body into an HTTP/2 stream (a response downstream, a request upstream) with the
// stream's own backpressure: `data` returns what `write` returns, and `onDrain` waits for the
// stream's 'drain'. HTTP/1 chunked bytes (`chunked-wire`) are decoded to payload on the way,
// because HTTP/2 frames the body itself (DATA frames) and must not carry chunk framing.
import type { Http2Stream } from 'node:http2';
import type { BodyEncoding, BodySink } from '../../http/exchange.js';
import type { HeaderList } from '../../http/headers.js';
import { ChunkedDecoder } from '../http1/chunked.js';
import { addFields } from './fields.js';

export class Http2BodyWriter implements BodySink {
  private readonly decoder: ChunkedDecoder | undefined;
  private trailers: HeaderList | undefined;
  private ended = false;

  /**
   * `withTrailers`: the stream was opened with `waitForTrailers`, so `end` can carry trailers
   * (node then asks for them with 'wantTrailers'). Without it trailers given to `end` are
   * dropped: HTTP/2 has no way to add them once the last DATA frame went out.
   * `fail` runs when the body cannot be written as framed (bad chunk framing).
   */
  constructor(
    private readonly stream: Http2Stream,
    encoding: BodyEncoding,
    withTrailers: boolean,
    private readonly fail: () => void,
  ) {
    if (encoding === 'chunked-wire') {
      this.decoder = new ChunkedDecoder();
      // Slices are views into the producer's buffer, which nobody reuses: no copy needed.
      this.decoder.onData = (slice) => {
        stream.write(slice);
      };
    }
    if (withTrailers) stream.once('wantTrailers', this.sendTrailers);
  }

  /** Nothing more can be written (ended, or the stream is gone): extra data is dropped. */
  private get closed(): boolean {
    return this.ended || this.stream.destroyed || this.stream.writableEnded;
  }

  data(chunk: Buffer): boolean {
    // A dead stream swallows bytes rather than stalling the producer forever on a 'drain' that
    // will never come; whoever owns the exchange learns of the close through 'close'.
    if (this.closed) return true;
    if (this.decoder === undefined) return this.stream.write(chunk);
    try {
      this.decoder.feed(chunk);
    } catch {
      this.ended = true;
      this.fail();
      return true;
    }
    return !this.stream.writableNeedDrain;
  }

  onDrain(cb: () => void): void {
    const s = this.stream;
    if (s.writableNeedDrain && !s.destroyed) s.once('drain', cb);
    else cb();
  }

  end(trailers?: HeaderList): void {
    if (this.closed) return;
    this.ended = true;
    this.trailers = trailers;
    this.stream.end();
  }

  abort(): void {
    if (this.ended) return;
    this.ended = true;
    this.fail();
  }

  private readonly sendTrailers = (): void => {
    const t = this.trailers;
    this.trailers = undefined;
    try {
      // Empty trailers make node send an empty DATA frame with END_STREAM instead.
      this.stream.sendTrailers(t === undefined || t.size === 0 ? {} : addFields({}, t));
    } catch {
      this.fail(); // an invalid trailer field: the message cannot be completed as sent
    }
  };
}
