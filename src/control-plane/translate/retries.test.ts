import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRetry, retryPolicy } from './retries.js';

const ISTIO_DEFAULT = {
  attempts: 2,
  retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'],
  retriableStatusCodes: [503],
};

describe('retry policies, as Istio converts them', () => {
  const cases: [string, Parameters<typeof retryPolicy>[0], unknown, string[]][] = [
    ['no retries field: Istio default', undefined, ISTIO_DEFAULT, []],
    ['attempts 0: none', { attempts: 0 }, undefined, []],
    ['attempts not written: none (Istio reads 0)', { perTryTimeout: '1s' }, undefined, []],
    ['attempts only: default conditions', { attempts: 5 }, { ...ISTIO_DEFAULT, attempts: 5 }, []],
    [
      'retryOn replaces the conditions; codes become retriable codes',
      { attempts: 3, retryOn: ' 5xx, 409 ,reset,,425', perTryTimeout: '250ms', backoff: '20ms' },
      { attempts: 3, perTryTimeoutMs: 250, retryOn: ['5xx', 'reset', 'retriable-status-codes'], retriableStatusCodes: [409, 425], backoff: { baseMs: 20, maxMs: 200 } },
      [],
    ],
    ['retriable-status-codes written by hand is not repeated', { attempts: 1, retryOn: 'retriable-status-codes,503' }, { attempts: 1, retryOn: ['retriable-status-codes'], retriableStatusCodes: [503] }, []],
    [
      'unknown conditions are dropped and reported',
      { attempts: 2, retryOn: 'retriable-4xx,gateway-error,envoy-ratelimited' },
      { attempts: 2, retryOn: ['gateway-error'] },
      ['retryOn: condition "retriable-4xx" is not supported by the proxy; ignored', 'retryOn: condition "envoy-ratelimited" is not supported by the proxy; ignored'],
    ],
    ['attempts above the proxy\'s cap', { attempts: 99 }, { ...ISTIO_DEFAULT, attempts: 50 }, ['attempts: 99 is more than the proxy allows; 50 is used']],
  ];
  for (const [name, input, expected, reports] of cases) {
    it(name, () => {
      const got: string[] = [];
      assert.deepEqual(retryPolicy(input, (field, message) => got.push(`${field}: ${message}`)), expected);
      assert.deepEqual(got, reports);
    });
  }

  it('the default carries a per-try timeout only when given one', () => {
    assert.deepEqual(defaultRetry(), ISTIO_DEFAULT);
    assert.deepEqual(defaultRetry(1500), { attempts: 2, perTryTimeoutMs: 1500, retryOn: ISTIO_DEFAULT.retryOn, retriableStatusCodes: [503] });
  });
});
