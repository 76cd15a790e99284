// SocketWriter (direct-write.ts) on real loopback sockets: bytes arrive whole and in order when
// the kernel buffer fills and writes queue in libuv, mixed with Writable writes and `end()`;
// backpressure is reported and released; a peer that goes away mid-write ends in 'close'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as tlsCreateServer } from 'node:tls';
import { canWriteDirect, SocketWriter } from './direct-write.js';
import { readFileSync } from 'node:fs';
import { makeCa } from '../../../../test/support/openssl.js';

/** A connected pair: `client` is ours to write on, `server` the peer's side. */
async function pair(): Promise<{ client: Socket; server: Socket; listener: Server }> {
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', r));
  const server = await accepted;
  return { client, server, listener };
}

function pattern(index: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (index * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Reads everything until the peer ends, pausing now and then like a slow client. */
function slowRead(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let since = 0;
    s.pause();
    setTimeout(() => s.resume(), 50); // let the sender fill the kernel buffers first
    s.on('data', (c: Buffer) => {
      parts.push(c);
      since += c.length;
      if (since > 512 * 1024) {
        since = 0;
        s.pause();
        setTimeout(() => s.resume(), 5);
      }
    });
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });
}

test('plaintext TCP sockets are written through the handle; writes queue under backpressure and arrive in order', async () => {
  const { client, server, listener } = await pair();
  try {
    assert.equal(canWriteDirect(client), true);
    const w = new SocketWriter(client);
    const received = slowRead(server);
    const sent = createHash('sha256');
    let refused = 0;
    // 16 MB in mixed pieces: buffers, latin1 strings and, now and then, a Writable write.
    for (let i = 0; i < 400; i++) {
      let ok: boolean;
      if (i % 10 === 3) {
        const text = `line ${i} ` + 'é'.repeat(i); // latin1: one byte per character
        sent.update(Buffer.from(text, 'latin1'));
        ok = w.writeLatin1(text);
      } else if (i % 10 === 7) {
        const b = pattern(i, 1000);
        sent.update(b);
        ok = client.write(b); // the Writable path, between ours
      } else {
        const b = pattern(i, 40_000 + ((i * 7919) % 30_000));
        sent.update(b);
        ok = w.write(b);
      }
      if (!ok) {
        refused++;
        await new Promise<void>((r) => w.onDrain(r));
        assert.equal(w.needDrain, false);
      }
    }
    client.end(); // after queued writes: libuv shuts down only once they are written
    const got = await received;
    assert.ok(refused > 0, 'the kernel buffer never filled: backpressure was not exercised');
    assert.equal(createHash('sha256').update(got).digest('hex'), sent.digest('hex'));
  } finally {
    client.destroy();
    server.destroy();
    listener.close();
  }
});

test('a buffer handed to a queued write may be reused by the caller only after the drain', async () => {
  const { client, server, listener } = await pair();
  try {
    const w = new SocketWriter(client);
    const received = slowRead(server);
    const scratch = Buffer.alloc(256 * 1024);
    const sent = createHash('sha256');
    for (let i = 0; i < 64; i++) {
      scratch.fill(i);
      sent.update(scratch);
      const ok = w.write(scratch);
      // The writer keeps the bytes referenced while queued: wait before overwriting them.
      if (!ok || !w.flushed) await new Promise<void>((r) => w.onDrain(r));
    }
    client.end();
    const got = await received;
    assert.equal(got.length, 64 * 256 * 1024);
    assert.equal(createHash('sha256').update(got).digest('hex'), sent.digest('hex'));
  } finally {
    client.destroy();
    server.destroy();
    listener.close();
  }
});

test('a peer that resets mid-write ends in close, and later writes do not throw', async () => {
  const { client, server, listener } = await pair();
  try {
    const w = new SocketWriter(client);
    client.on('error', () => {});
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    server.pause();
    const big = pattern(1, 1024 * 1024);
    let queued = false;
    for (let i = 0; i < 64 && !queued; i++) queued = !w.write(big);
    assert.ok(queued, 'writes never queued');
    server.resetAndDestroy();
    // Keep writing until the reset is noticed (queued writes complete with an error).
    const until = Date.now() + 5000;
    while (!client.destroyed && Date.now() < until) {
      w.write(big);
      await new Promise((r) => setTimeout(r, 10));
    }
    await closed;
    assert.equal(client.destroyed, true);
    assert.doesNotThrow(() => w.write(Buffer.from('after close')));
    assert.doesNotThrow(() => w.writeLatin1('after close'));
  } finally {
    client.destroy();
    listener.close();
  }
});

test('TLS sockets keep the Writable path', async () => {
  const files = await makeCa('direct-write test'); // any self-signed certificate will do
  const listener = tlsCreateServer({ key: readFileSync(files.key), cert: readFileSync(files.cert) }, (s) => s.pipe(s));
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const client = tlsConnect({ port: (listener.address() as AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false });
  try {
    await new Promise<void>((r) => client.once('secureConnect', r));
    assert.equal(canWriteDirect(client), false);
    const w = new SocketWriter(client);
    const echoed = new Promise<string>((resolve) => {
      let text = '';
      client.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (text.length >= 10) resolve(text);
      });
    });
    w.writeLatin1('hello ');
    w.write(Buffer.from('tls!'));
    assert.equal(await echoed, 'hello tls!');
  } finally {
    client.destroy();
    listener.close();
  }
});
