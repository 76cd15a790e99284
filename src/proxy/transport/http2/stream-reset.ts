// Resetting an HTTP/2 stream so the peer knows the message is incomplete.
//
// node's `stream.close(code)` first ends our side when it is still open, and the DATA frame with
// END_STREAM goes out before the RST_STREAM: the peer then reads a truncated body as complete
// (seen on Node 20: the client gets 'end' and rstCode 0). Destroying the stream with an error
// sends RST_STREAM(INTERNAL_ERROR) with no END_STREAM, so that is what an open side gets.
import type { Http2Stream } from 'node:http2';

export function resetStream(stream: Http2Stream, code: number, why: string): void {
  if (stream.destroyed) return;
  if (stream.writableEnded) stream.close(code); // our message is whole; only the peer's is cut
  else stream.destroy(new StreamResetError(why));
}

/** Marks errors we caused ourselves, so a stream's 'error' is not mistaken for the peer's doing. */
export class StreamResetError extends Error {}
