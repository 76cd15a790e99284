// Makes a request body re-sendable for retries and mirrors, within a byte limit.
//
// The body streams to the current try as it arrives, and a copy is kept while it stays under the
// limit. A retry gets the copy followed by whatever is still arriving. Past the limit the copy is
// dropped and `replayable` turns false: such a request is not retried (buffering a large upload
// whole would trade memory for a retry nobody can bound).
import type { BodySink, BodySource, BodyEncoding } from '../http/exchange.js';

export const DEFAULT_REPLAY_LIMIT = 64 * 1024;

export class ReplayableBody {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private overflow = false;
  private ended = false;
  private failure: Error | undefined;
  private sink: BodySink | undefined;
  private completeWaiters: ((ok: boolean) => void)[] | undefined;
  readonly encoding: BodyEncoding;
  readonly length: number | undefined;

  constructor(
    private readonly source: BodySource,
    private readonly limit: number,
  ) {
    this.encoding = source.encoding;
    this.length = source.length;
    source.pipe({
      data: (chunk) => this.onData(chunk),
      onDrain: (cb) => (this.sink ? this.sink.onDrain(cb) : cb()),
      end: () => {
        this.ended = true;
        this.sink?.end();
        this.settle();
      },
      abort: (err) => {
        this.failure = err;
        this.sink?.abort(err);
        this.settle();
      },
    });
  }

  /** Whether every byte so far is kept (and so a new try can resend it). */
  get replayable(): boolean {
    return !this.overflow && this.failure === undefined;
  }

  /** Whole body received and kept: safe to copy for a mirror. */
  get complete(): boolean {
    return this.ended && this.replayable;
  }

  /** The recorded chunks (valid while `complete`). */
  get recorded(): readonly Buffer[] {
    return this.chunks;
  }

  private onData(chunk: Buffer): boolean {
    if (!this.sink) {
      // No try is reading yet: hold the bytes (they must reach the first try) and ask the
      // producer to pause once the limit is passed.
      this.chunks.push(chunk);
      this.bytes += chunk.length;
      if (this.bytes > this.limit) this.overflow = true;
      return !this.overflow;
    }
    if (!this.overflow) {
      this.bytes += chunk.length;
      if (this.bytes > this.limit) {
        this.overflow = true;
        this.chunks = [];
      } else {
        this.chunks.push(chunk);
      }
    }
    return this.sink.data(chunk);
  }

  /** Calls `cb(true)` once the whole body is received and kept, `cb(false)` if it won't be. */
  whenComplete(cb: (ok: boolean) => void): void {
    if (this.ended || this.failure) return cb(this.complete);
    (this.completeWaiters ??= []).push(cb);
  }

  private settle(): void {
    const waiters = this.completeWaiters;
    this.completeWaiters = undefined;
    if (waiters) for (const w of waiters) w(this.complete);
  }

  /** A body source for one try. The previous try's source must have been dropped. */
  forTry(): BodySource {
    return {
      encoding: this.encoding,
      length: this.length,
      pipe: (sink: BodySink) => {
        this.sink = sink;
        for (const c of this.chunks) sink.data(c);
        if (this.overflow) this.chunks = []; // delivered; no longer a complete copy
        if (this.failure) sink.abort(this.failure);
        else if (this.ended) sink.end();
        else this.source.resume();
      },
      pause: () => this.source.pause(),
      resume: () => this.source.resume(),
    };
  }

  /** The current try is gone: stop feeding it. */
  detach(): void {
    this.sink = undefined;
  }
}
