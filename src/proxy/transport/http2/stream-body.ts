// A request body arriving on a downstream HTTP/2 stream, as a BodySource.
//
// Nothing is read until `pipe`: the stream stays paused, so nghttp2 holds back WINDOW_UPDATEs and
// the client's flow-control window is what bounds the bytes waiting here. Once piped, a `false`
// from the sink pauses the stream until the sink's `onDrain`.
import type { Http2Stream, IncomingHttpHeaders } from 'node:http2';
import type { BodySink, BodySource } from '../../http/exchange.js';
import type { HeaderList } from '../../http/headers.js';
import { fieldsFromObject } from './fields.js';

export class Http2StreamBody implements BodySource {
  readonly encoding = 'plain' as const;
  private sink: BodySink | undefined;
  private trailers: HeaderList | undefined;
  /** The last byte arrived (END_STREAM), or the body failed: nothing more will come. */
  private settled = false;
  private failure: Error | undefined;

  constructor(
    private readonly stream: Http2Stream,
    readonly length: number | undefined,
  ) {}

  pipe(sink: BodySink): void {
    this.sink = sink;
    if (this.failure) return sink.abort(this.failure);
    const s = this.stream;
    s.on('data', this.onData);
    s.once('trailers', this.onTrailers);
    s.once('end', this.onEnd);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  /** The stream closed before END_STREAM (client reset, connection lost). */
  abort(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.failure = err;
    this.sink?.abort(err);
  }

  private readonly onData = (chunk: Buffer): void => {
    const sink = this.sink!;
    if (!sink.data(chunk)) {
      this.stream.pause();
      sink.onDrain(this.onDrain);
    }
  };

  private readonly onDrain = (): void => {
    if (!this.settled) this.stream.resume();
  };

  private readonly onTrailers = (t: IncomingHttpHeaders): void => {
    this.trailers = fieldsFromObject(t);
  };

  private readonly onEnd = (): void => {
    if (this.settled) return;
    this.settled = true;
    this.sink!.end(this.trailers);
  };
}
