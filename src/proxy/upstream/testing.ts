// Helpers for this room's tests: a seeded random source (reproducible statistics), a clock moved by
// hand, and EndpointStates made from short descriptions.
import type { Endpoint } from '../../model/snapshot.js';
import { newEndpointState } from './endpoint-state.js';
import type { EndpointState } from './types.js';

/** mulberry32: a tiny, fast, well-distributed PRNG; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FakeClock {
  (): number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function fakeClock(start = 1_000_000): FakeClock {
  let now = start;
  const clock = (() => now) as FakeClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

/** Endpoints 10.0.0.1:80, 10.0.0.2:80… with the given weights. */
export function endpointsWithWeights(weights: number[], extra: Partial<Endpoint> = {}): EndpointState[] {
  return weights.map((w, i) => newEndpointState({ address: `10.0.0.${i + 1}`, port: 80, weight: w, ...extra }));
}

/** Counts picks per endpoint key. */
export function tally(pick: () => EndpointState | undefined, times: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < times; i++) {
    const e = pick();
    const k = e === undefined ? 'none' : e.key;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/**
 * Asserts helper: |observed − expected| within `sigmas` standard deviations of a binomial count
 * (n trials, probability p). Returns the message on failure, undefined when within bounds.
 */
export function binomialOff(observed: number, n: number, p: number, sigmas = 5): string | undefined {
  const expected = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.abs(observed - expected) <= sigmas * sd
    ? undefined
    : `observed ${observed}, expected ${expected.toFixed(1)} ± ${(sigmas * sd).toFixed(1)}`;
}
