import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect as netConnect, type AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MAX_CLIENT_HELLO, readServerName, sniffServerName } from './client-hello.js';

/** The first bytes a real Node TLS client sends (its ClientHello), captured by a plain TCP server. */
async function captureHello(servername: string | undefined): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy()))));
  const client = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}) });
  client.on('error', () => {});
  try {
    return await got;
  } finally {
    client.destroy();
    server.close();
  }
}

/** The same handshake bytes cut into TLS records of at most `size` bytes each. */
function refragment(hello: Buffer, size: number): Buffer {
  const hs = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let off = 0; off < hs.length; off += size) {
    const part = hs.subarray(off, off + size);
    const header = Buffer.from([0x16, 3, 1, 0, 0]);
    header.writeUInt16BE(part.length, 3);
    records.push(header, part);
  }
  return Buffer.concat(records);
}

test('the server name of a real ClientHello, lower-cased', async () => {
  const hello = await captureHello('Shop.Example.com');
  assert.deepEqual(readServerName(hello), { kind: 'hello', serverName: 'shop.example.com' });
});

test('no SNI (a client connecting by IP address sends none) is a whole hello without a name', async () => {
  const hello = await captureHello(undefined);
  assert.deepEqual(readServerName(hello), { kind: 'hello', serverName: undefined });
});

test('a ClientHello spread over many records and arriving byte by byte', async () => {
  const hello = await captureHello('a.example.com');
  for (const size of [40, 100, 1000]) {
    const fragmented = refragment(hello, size);
    for (let n = 0; size > 1 && n < fragmented.length; n++) {
      assert.equal(readServerName(fragmented.subarray(0, n)).kind, 'more', `record size ${size}, ${n} bytes`);
    }
    assert.deepEqual(readServerName(fragmented), { kind: 'hello', serverName: 'a.example.com' }, `record size ${size}`);
  }
});

test('garbage and malformed hellos are invalid, never "more" forever', async () => {
  assert.equal(readServerName(Buffer.from('GET / HTTP/1.1\r\n\r\n')).kind, 'invalid');
  assert.equal(readServerName(Buffer.from([0x16, 0x02])).kind, 'invalid');
  assert.equal(readServerName(Buffer.from([0x16, 3, 1, 0, 0])).kind, 'invalid'); // an empty record
  assert.equal(readServerName(Buffer.from([0x16, 3, 1, 0, 4, 2, 0, 0, 0])).kind, 'invalid'); // a ServerHello
  // A huge declared ClientHello is refused at once rather than buffered.
  // Too many tiny records.
  assert.deepEqual(readServerName(refragment(await captureHello('y.example.com'), 1)), { kind: 'invalid', reason: 'a ClientHello in more than 64 records' });
  const huge = Buffer.from([0x16, 3, 1, 0, 4, 1, 0x10, 0, 0]);
  assert.equal(readServerName(huge).kind, 'invalid');
  assert.ok(MAX_CLIENT_HELLO < 0x100000);
  // Inner lengths that run past the message: a real hello with its extensions length inflated.
  const hello = await captureHello('x.example.com');
  const hs = Buffer.from(hello);
  const body = 5 + 4;
  const sessionLen = hs[body + 34];
  const suitesAt = body + 35 + sessionLen;
  const compressionAt = suitesAt + 2 + hs.readUInt16BE(suitesAt);
  const extensionsAt = compressionAt + 1 + hs[compressionAt];
  hs.writeUInt16BE(0xffff, extensionsAt);
  assert.deepEqual(readServerName(hs), { kind: 'invalid', reason: 'a truncated ClientHello' });
  // A server name with bytes no DNS name has.
  const bad = Buffer.from(hello.toString('latin1').replace('x.example.com', 'x.exa/ple.com'), 'latin1');
  assert.deepEqual(readServerName(bad), { kind: 'invalid', reason: 'a server name that is not a DNS name' });
  // Random bytes, many times: always decided or "more", never a throw.
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.from(Array.from({ length: 1 + (i % 64) }, (_, j) => (i * 31 + j * 17) & 0xff));
    junk[0] = 0x16;
    junk[1] = 3;
    assert.doesNotThrow(() => readServerName(junk));
  }
});

test('sniffServerName reads a socket until the hello is whole and hands back every byte', async () => {
  const hello = refragment(await captureHello('b.example.com'), 50);
  const server = createServer({ pauseOnConnect: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const sniffed = new Promise<{ kind: string; serverName?: string; initial: Buffer }>((resolve) =>
      server.once('connection', (s) => sniffServerName(s, 5000, (r, initial) => (resolve({ ...r, initial }), s.destroy()))),
    );
    const client = netConnect(port, '127.0.0.1');
    client.on('error', () => {});
    // In three writes, so the reader sees it in pieces.
    client.write(hello.subarray(0, 3));
    await new Promise((r) => setTimeout(r, 20));
    client.write(hello.subarray(3, 120));
    await new Promise((r) => setTimeout(r, 20));
    client.end(hello.subarray(120));
    const got = await sniffed;
    assert.equal(got.kind, 'hello');
    assert.equal(got.serverName, 'b.example.com');
    assert.deepEqual(got.initial, hello);

    const silent = new Promise<string>((resolve) => server.once('connection', (s) => sniffServerName(s, 100, (r) => (resolve(r.kind === 'invalid' ? r.reason : r.kind), s.destroy()))));
    const quiet = netConnect(port, '127.0.0.1');
    quiet.on('error', () => {});
    assert.equal(await silent, 'no whole ClientHello within 100 ms');
    quiet.destroy();
  } finally {
    server.close();
  }
});
