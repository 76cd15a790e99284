import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { PortAllocator } from './port-allocator.js';

test('hands out distinct bindable ports below the kernel ephemeral range', async () => {
  const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const ports = new PortAllocator();
  const seen = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const port = await ports.next();
    assert.ok(port >= 20_000 && port < ephemeralStart, `port ${port} is outside [20000, ${ephemeralStart})`);
    assert.ok(!seen.has(port), `port ${port} handed out twice`);
    seen.add(port);
  }
  // Each one really binds.
  const probe = [...seen][0];
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(probe, '127.0.0.1', () => s.close(() => resolve()));
  });
});

test('never hands out a reserved port or one in use', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const busyPort = (busy.address() as { port: number }).port;
  try {
    // Reserve nine ports in ten, so the random choice must skip reserved ones (a miss in 200 tries: 1e-9).
    const reserved = new Set<number>();
    for (let p = 20_000; p < 32_768; p++) if (p % 10 !== 7) reserved.add(p);
    const ports = new PortAllocator(reserved);
    for (let i = 0; i < 5; i++) {
      const port = await ports.next();
      assert.equal(port % 10, 7);
      assert.notEqual(port, busyPort);
    }
  } finally {
    busy.close();
  }
});
