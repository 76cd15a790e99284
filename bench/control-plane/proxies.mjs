// Simulated proxies: a slice of the bench's proxies, each with its own key, a real CSR signed by the
// control plane with its bootstrap token, its own HTTP/2 connection over mTLS with that SVID, and
// its own discovery stream that ACKs every snapshot. The pieces are the real proxy's
// (src/proxy/config/control-plane-client/: session, Sign call, certificate checks; protocol.ts
// framing), so the control plane sees exactly what real proxies send.
//
// Two modes (BENCH_CP_CLIENT):
//   light (default)  read each snapshot line without parsing it and ACK at once. Thousands of
//                    proxies in one process cannot each JSON-parse and validate megabytes per push
//                    on a 2-core machine; a real proxy does that on its own CPU, and it is not the
//                    control plane's cost. The version is read from the line's head.
//   full             the real client (connectControlPlane): parses and validates every snapshot
//                    with the proxy's validator before ACKing. Faithful, and slow at scale.
//
// IPC: ← {cmd:'start', port, trustBundlePem, tokens}   → progress, {cmd:'synced'}
//      ← {cmd:'acks', id, since, indexes}              → {id, acks: [ms|null…], others}
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topology, nodeInfo, now } from './topology.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => import(path.join(ROOT, 'dist/src', p));

const settings = JSON.parse(process.env.BENCH_CP_SETTINGS);
const slice = JSON.parse(process.env.BENCH_CP_SLICE); // [from, to)
const topo = topology(settings);
const mine = topo.proxies.slice(slice[0], slice[1]);

const { connectSession } = await dist('proxy/config/control-plane-client/session.js');
const { callSign } = await dist('proxy/config/control-plane-client/sign-call.js');
const { acceptIssued } = await dist('proxy/config/control-plane-client/certificate.js');
const { connectControlPlane } = await dist('proxy/config/control-plane-client/client.js');
const { createWorkloadKeyAndCsr } = await dist('control-plane/ca/csr.js');
const { STREAM_PATH, NDJSON, messageLine, controlPlaneSpiffeId } = await dist('control-plane/discovery/protocol.js');

const TRUST_DOMAIN = 'cluster.local';
const CONTROL_PLANE_ID = controlPlaneSpiffeId(TRUST_DOMAIN);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Per proxy (by global index): ACK times, in order. */
const ackTimes = new Map();
const lastError = new Map();
/** What the proxies of this process received (light mode): bytes, whole snapshots, deltas. */
const traffic = { bytes: 0, full: 0, deltas: 0 };
let synced = 0;

function noteAck(index) {
  let list = ackTimes.get(index);
  if (list === undefined) {
    ackTimes.set(index, (list = []));
    synced++;
  }
  list.push(now());
  if (list.length > 64) list.splice(0, list.length - 64);
}

/** Light mode: one proxy over the real session/Sign/certificate code, with a reader that only reads versions. */
async function lightProxy(p, port, trustBundlePem, token) {
  const spiffeId = `spiffe://${TRUST_DOMAIN}/ns/${p.namespace}/sa/${p.service}`;
  const base = { address: '127.0.0.1', port, trustBundlePem, controlPlaneId: CONTROL_PLANE_ID, trustDomain: TRUST_DOMAIN, timeoutMs: 60_000 };
  const keyAndCsr = await createWorkloadKeyAndCsr({ spiffeId });
  const signSession = await connectSession(base);
  let cert;
  try {
    cert = acceptIssued(await callSign(signSession, keyAndCsr.csrPem, token, 60_000), keyAndCsr, spiffeId);
  } finally {
    signSession.destroy();
  }
  const session = await connectSession({ ...base, trustBundlePem: cert.trustBundlePem, certChainPem: cert.certChainPem, privateKeyPem: cert.privateKeyPem });
  const stream = session.request({ ':method': 'POST', ':path': STREAM_PATH, 'content-type': NDJSON });
  stream.write(messageLine({ type: 'hello', node: nodeInfo(p), lastVersion: 0, acceptsDelta: settings.delta }));
  await new Promise((resolve, reject) => {
    stream.once('response', (h) => (Number(h[':status']) === 200 ? resolve() : reject(new Error(`stream refused: HTTP ${h[':status']}`))));
    stream.once('error', reject);
  });
  // Each line starts {"type":"snapshot","version":N,… or {"type":"delta","version":N,…: keep the
  // head of the line being read, skip the rest. A delta is ACKed unread too: the light client holds
  // no snapshot to apply it to (full mode does).
  let head = '';
  stream.on('data', (chunk) => {
    traffic.bytes += chunk.length;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (head.length < 64) head += chunk.toString('latin1', start, Math.min(end, start + 64));
      if (nl === -1) break;
      const m = /"version":(\d+)/.exec(head);
      if (m) {
        if (head.startsWith('{"type":"delta"')) traffic.deltas++;
        else traffic.full++;
        stream.write(messageLine({ type: 'ack', version: Number(m[1]) }));
        noteAck(p.index);
      }
      head = '';
      start = nl + 1;
    }
  });
  stream.on('close', () => lastError.set(p.index, 'stream closed'));
  session.on('error', (err) => lastError.set(p.index, err.message));
}

/** Full mode: the proxy's own client, validating every snapshot before it ACKs. */
async function fullProxy(p, port, trustBundlePem, token) {
  const client = connectControlPlane({
    address: '127.0.0.1',
    port,
    trustBundlePem,
    bootstrapToken: token,
    node: nodeInfo(p),
    onSnapshot: () => noteAck(p.index),
    log: quiet,
    timeoutMs: 60_000,
  });
  await client.firstSnapshot;
}

async function start({ port, trustBundlePem, tokens, concurrency }) {
  const full = settings.client === 'full';
  let next = 0;
  const worker = async () => {
    while (next < mine.length) {
      const p = mine[next++];
      try {
        await (full ? fullProxy : lightProxy)(p, port, trustBundlePem, tokens[p.index]);
      } catch (err) {
        lastError.set(p.index, err.message);
        process.send({ cmd: 'error', index: p.index, error: err.message });
      }
    }
  };
  const progress = setInterval(() => process.send({ cmd: 'progress', synced }), 1000);
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wait = setInterval(() => {
    if (synced >= mine.length - lastError.size) {
      clearInterval(wait);
      clearInterval(progress);
      process.send({ cmd: 'synced', synced, errors: lastError.size, at: now() });
    }
  }, 20);
}

process.on('message', (msg) => {
  if (msg.cmd === 'start') void start(msg);
  else if (msg.cmd === 'acks') {
    const wanted = new Set(msg.indexes);
    const acks = [];
    let others = 0;
    for (const p of mine) {
      const first = (ackTimes.get(p.index) ?? []).find((t) => t > msg.since);
      if (wanted.has(p.index)) acks.push(first ?? null);
      else if (first !== undefined) others++;
    }
    process.send({ id: msg.id, acks, others });
  } else if (msg.cmd === 'traffic') {
    process.send({ id: msg.id, ...traffic });
  } else if (msg.cmd === 'lastAck') {
    let last = 0;
    for (const list of ackTimes.values()) last = Math.max(last, list[list.length - 1] ?? 0);
    process.send({ id: msg.id, last });
  } else if (msg.cmd === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
process.send({ cmd: 'ready' });
