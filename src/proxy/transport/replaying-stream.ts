// A duplex over a socket that first replays bytes already read from it.
//
// Needed to hand a connection to TLS after peeking at its first bytes (PERMISSIVE mTLS): a
// TLSSocket built on a net.Socket reads the OS handle directly and would never see bytes put
// back with unshift(). Going through a JS stream costs some speed, so only the peeked path uses it.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

export function replayingStream(raw: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      raw.write(chunk, cb);
    },
    final(cb) {
      raw.end();
      cb();
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  stream.push(first);
  raw.on('data', (c: Buffer) => {
    if (!stream.push(c)) raw.pause();
  });
  raw.once('end', () => stream.push(null));
  raw.once('close', () => stream.destroy());
  return stream;
}
