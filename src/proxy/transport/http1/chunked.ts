// Tracks (and optionally decodes) a chunked transfer-coded body as its bytes stream past.
//
// The HTTP/1 → HTTP/1 path forwards chunked bodies byte for byte, so all it needs is where the
// message ends; the HTTP/1 → HTTP/2 path also needs the chunk payloads. One state machine serves
// both: `feed` returns how many bytes belong to this message, and reports payload slices to
// `onData` when one is set.
import { HeadParseError } from './head-parser.js';

const enum State {
  Size, // reading hex digits of a chunk size
  SizeExt, // chunk extension until CRLF
  SizeLf, // expecting LF after CR of the size line
  Data,
  DataCr, // CRLF after chunk data
  DataLf,
  TrailerStart, // start of a trailer line or the final CRLF
  Trailer, // inside a trailer line
  TrailerLf, // LF ending a trailer line
  FinalLf, // LF of the final empty line
  Done,
}

const MAX_SIZE_DIGITS = 15; // 2^60: no real chunk is larger; stops overflow games

export class ChunkedDecoder {
  private state = State.Size;
  private remaining = 0;
  private digits = 0;
  private trailerBytes = 0;
  /** Receives chunk payload slices (views into the fed buffer; copy to keep). */
  onData: ((slice: Buffer) => void) | undefined;

  get done(): boolean {
    return this.state === State.Done;
  }

  /**
   * Consumes bytes from `buf[start, end)`; returns the index just past the last byte that belongs
   * to the body (== end unless the message ended inside this range). Throws on bad framing.
   */
  feed(buf: Buffer, start = 0, end = buf.length): number {
    let i = start;
    const len = end;
    while (i < len) {
      switch (this.state) {
        case State.Size: {
          const c = buf[i];
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) throw new HeadParseError('chunk size too large', 400);
            this.remaining = this.remaining * 16 + v;
          } else if (this.digits === 0) {
            throw new HeadParseError('malformed chunk size', 400);
          } else if (c === 13) {
            this.state = State.SizeLf;
          } else if (c === 59 || c === 32 || c === 9) {
            this.state = State.SizeExt; // ";ext" (and tolerated whitespace before it)
          } else {
            throw new HeadParseError('malformed chunk size', 400);
          }
          i++;
          break;
        }
        case State.SizeExt:
          if (buf[i] === 13) this.state = State.SizeLf;
          else if (buf[i] === 10) throw new HeadParseError('bare LF in chunk header', 400);
          i++;
          break;
        case State.SizeLf:
          if (buf[i] !== 10) throw new HeadParseError('malformed chunk header', 400);
          i++;
          this.digits = 0;
          this.state = this.remaining === 0 ? State.TrailerStart : State.Data;
          break;
        case State.Data: {
          const n = Math.min(this.remaining, len - i);
          if (this.onData) this.onData(buf.subarray(i, i + n));
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (buf[i] !== 13) throw new HeadParseError('missing CRLF after chunk data', 400);
          i++;
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i] !== 10) throw new HeadParseError('missing CRLF after chunk data', 400);
          i++;
          this.state = State.Size;
          break;
        case State.TrailerStart:
          if (buf[i] === 13) this.state = State.FinalLf;
          else this.state = State.Trailer;
          i++;
          break;
        case State.Trailer:
          if (++this.trailerBytes > 16384) throw new HeadParseError('trailers too large', 400);
          if (buf[i] === 13) this.state = State.TrailerLf;
          i++;
          break;
        case State.TrailerLf:
          if (buf[i] !== 10) throw new HeadParseError('malformed trailer', 400);
          i++;
          this.state = State.TrailerStart;
          break;
        case State.FinalLf:
          if (buf[i] !== 10) throw new HeadParseError('malformed last chunk', 400);
          this.state = State.Done;
          return i + 1;
        case State.Done:
          return i;
      }
    }
    return i;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export const CRLF = Buffer.from('\r\n', 'latin1');
export const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
