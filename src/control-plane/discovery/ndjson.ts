// Newline-delimited JSON framing for the discovery stream: bytes in, complete lines out.
// A message larger than the limit is a protocol error (the peer is broken or hostile), reported
// before the buffer grows past it, so a peer cannot make us hold unbounded memory.
import { StringDecoder } from 'node:string_decoder';

export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`message longer than ${limit} bytes`);
    this.name = 'LineTooLongError';
  }
}

export class LineSplitter {
  // StringDecoder keeps a multi-byte UTF-8 character split across chunks intact.
  private readonly decoder = new StringDecoder('utf8');
  // The unfinished line's pieces: only each new chunk is scanned for '\n', so a snapshot of many
  // megabytes arriving in 16 KB chunks costs linear, not quadratic, time.
  private parts: string[] = [];
  private partLength = 0;

  /** `maxLineLength` counts UTF-16 units: the same as bytes for the ASCII JSON we exchange. */
  constructor(private readonly maxLineLength: number) {}

  /** The complete lines in `chunk` (without '\n'; blank lines dropped). Throws LineTooLongError. */
  push(chunk: Buffer): string[] {
    const text = this.decoder.write(chunk);
    const out: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.take(nl - start);
      const line = this.parts.length === 0 ? text.slice(start, nl) : this.parts.join('') + text.slice(start, nl);
      this.parts = [];
      this.partLength = 0;
      if (line.trim() !== '') out.push(line);
      start = nl + 1;
    }
    if (start < text.length) {
      this.take(text.length - start);
      this.parts.push(text.slice(start));
    }
    return out;
  }

  private take(length: number): void {
    this.partLength += length;
    if (this.partLength > this.maxLineLength) throw new LineTooLongError(this.maxLineLength);
  }
}
