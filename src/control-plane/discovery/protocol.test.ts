import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseControlPlaneMessage, parseProxyMessage, parseSignRequest, parseSignResponse, type HelloMessage } from './protocol.js';

const hello: HelloMessage = {
  type: 'hello',
  node: {
    id: 'reviews-v1-0',
    namespace: 'default',
    serviceAccount: 'reviews',
    labels: { app: 'reviews', version: 'v1' },
    service: { name: 'reviews', ports: [{ port: 9080, targetPort: 19080, name: 'http', protocol: 'http' }] },
    addresses: ['127.0.0.1'],
    proxyVersion: '0.1.0',
  },
  lastVersion: 0,
  acceptsDelta: true,
  heldVersion: 3,
};

/** `base` with the field at `path` (dot-separated) replaced, or deleted when `value` is undefined. */
function withField<T>(base: T, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

test('valid proxy messages parse to themselves; unknown fields and types pass', () => {
  assert.deepEqual(parseProxyMessage(JSON.stringify(hello)), hello);
  const minimal = withField(withField(hello, 'node.service', undefined), 'lastVersion', undefined);
  assert.deepEqual(parseProxyMessage(JSON.stringify(minimal)), minimal);
  assert.deepEqual(parseProxyMessage('{"type":"ack","version":4,"later":"field"}'), { type: 'ack', version: 4, later: 'field' });
  assert.deepEqual(parseProxyMessage('{"type":"nack","version":4,"error":""}'), { type: 'nack', version: 4, error: '' });
  assert.equal(parseProxyMessage('{"type":"ping"}'), undefined);
});

test('invalid proxy messages name the field and what was expected', () => {
  const cases: Array<[unknown, string]> = [
    [withField(hello, 'node', undefined), 'invalid hello at /node: required field is missing'],
    [withField(hello, 'node.id', ''), 'invalid hello at /node/id: expected a string of 1 to 253 characters, got a string of 0 characters'],
    [withField(hello, 'node.namespace', 'n'.repeat(254)), 'invalid hello at /node/namespace: expected a string of 1 to 253 characters, got a string of 254 characters'],
    [withField(hello, 'node.labels', { app: 1 }), 'invalid hello at /node/labels/app: expected a string, got 1'],
    [withField(hello, 'node.labels', ['a']), 'invalid hello at /node/labels: expected an object, got an array'],
    [withField(hello, 'node.service.ports', [{ port: 0 }]), 'invalid hello at /node/service/ports/0/port: expected an integer from 1 to 65535, got 0'],
    [withField(hello, 'node.service.ports', [{ port: 80, protocol: 'udp' }]), 'invalid hello at /node/service/ports/0/protocol: expected one of http, http2, grpc, tcp, got "udp"'],
    [withField(hello, 'node.addresses', ['']), 'invalid hello at /node/addresses/0: expected a string of at least 1 character, got a string of 0 characters'],
    [withField(hello, 'node.proxyVersion', null), 'invalid hello at /node/proxyVersion: expected a string, got null'],
    [withField(hello, 'lastVersion', -1), 'invalid hello at /lastVersion: expected an integer ≥ 0, got -1'],
    [withField(hello, 'acceptsDelta', 'yes'), 'invalid hello at /acceptsDelta: expected true or false, got a string of 3 characters'],
    [withField(hello, 'heldVersion', 1.5), 'invalid hello at /heldVersion: expected an integer ≥ 1, got 1.5'],
    [{ type: 'ack' }, 'invalid ack at /version: required field is missing'],
    [{ type: 'ack', version: 0 }, 'invalid ack at /version: expected an integer ≥ 1, got 0'],
    [{ type: 'nack', version: 2 }, 'invalid nack at /error: required field is missing'],
  ];
  for (const [message, error] of cases) {
    assert.throws(() => parseProxyMessage(JSON.stringify(message)), { message: error });
  }
  assert.throws(() => parseProxyMessage('{"type":'), /^Error: message is not JSON: /);
  assert.throws(() => parseProxyMessage('[1]'), { message: 'message is not a JSON object' });
});

test('control-plane messages: envelopes checked, contents passed on unchecked', () => {
  assert.deepEqual(parseControlPlaneMessage('{"type":"snapshot","version":2,"snapshot":{"x":1},"extra":true}'), {
    type: 'snapshot',
    version: 2,
    snapshot: { x: 1 },
  });
  assert.deepEqual(parseControlPlaneMessage('{"type":"delta","version":3,"baseVersion":2,"delta":null}'), {
    type: 'delta',
    version: 3,
    baseVersion: 2,
    delta: null,
  });
  assert.equal(parseControlPlaneMessage('{"type":"news"}'), undefined);
  assert.throws(() => parseControlPlaneMessage('{"type":"snapshot","version":"2","snapshot":{}}'), {
    message: 'invalid snapshot at /version: expected an integer ≥ 1, got a string of 1 character',
  });
  assert.throws(() => parseControlPlaneMessage('{"type":"snapshot","version":2}'), { message: 'invalid snapshot at /snapshot: required field is missing' });
  assert.throws(() => parseControlPlaneMessage('{"type":"delta","version":3,"delta":{}}'), { message: 'invalid delta at /baseVersion: required field is missing' });
});

test('sign request and response', () => {
  assert.deepEqual(parseSignRequest('{"csr":"PEM","node":"n-1"}'), { csr: 'PEM', node: 'n-1' });
  assert.deepEqual(parseSignRequest('{"csr":"PEM"}'), { csr: 'PEM' });
  assert.throws(() => parseSignRequest('{"csr":""}'), { message: 'invalid sign request at /csr: expected a string of at least 1 character, got a string of 0 characters' });
  assert.throws(() => parseSignRequest('{"csr":"PEM","node":""}'), /^Error: invalid sign request at \/node: /);
  assert.deepEqual(parseSignResponse('{"certChain":"A","trustBundle":"B"}'), { certChain: 'A', trustBundle: 'B' });
  assert.throws(() => parseSignResponse('{"certChain":"A"}'), { message: 'invalid sign response at /trustBundle: required field is missing' });
  assert.throws(() => parseSignResponse('"text"'), { message: 'message is not a JSON object' });
});
