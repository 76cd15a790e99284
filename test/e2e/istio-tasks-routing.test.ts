// Istio's request-routing and traffic-shifting tasks on bookinfo under `maille run` (real
// processes: control plane, five apps, five sidecars), each step applied with `maille apply` as
// the task applies it with kubectl, the YAML unchanged. Splits are checked against exact
// binomial bounds that fail by chance with probability below 1e-6.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { bookinfoMeshYaml } from '../../src/demo/bookinfo-mesh.js';
import { binomialBounds } from '../support/binomial.js';
import { loadProductPage, ratingsShown, reviewsVersions } from '../support/bookinfo.js';
import {
  DESTINATION_RULE_ALL,
  VIRTUAL_SERVICE_ALL_V1,
  VIRTUAL_SERVICE_REVIEWS_50_V3,
  VIRTUAL_SERVICE_REVIEWS_90_10,
  VIRTUAL_SERVICE_REVIEWS_TEST_V2,
  VIRTUAL_SERVICE_REVIEWS_V3,
} from '../support/istio-tasks.js';
import { startMailleRun, type MailleRun } from '../support/maille-run.js';

const ALPHA = 1e-6;
// The sidecars whose outbound routes a change to the reviews or ratings routes concerns.
const CALLS_REVIEWS = ['productpage-v1-0'];
const CALLS_RATINGS = ['reviews-v2-0', 'reviews-v3-0'];

let mesh: MailleRun;
let outbound: number; // productpage's sidecar: pages are loaded through it, as the demo does

before(async () => {
  mesh = await startMailleRun(`${bookinfoMeshYaml()}---${DESTINATION_RULE_ALL}`);
  outbound = mesh.workload('productpage-v1-0').outbound;
});
after(async () => {
  if (mesh) assert.equal(await mesh.stop(), 0);
});

test('request routing: virtual-service-all-v1, then reviews-test-v2 sends end-user jason to v2', async () => {
  await mesh.apply(VIRTUAL_SERVICE_ALL_V1, [...CALLS_REVIEWS, ...CALLS_RATINGS]);
  assert.deepEqual(await reviewsVersions(outbound, 30, 3), { v1: 30 });
  assert.deepEqual(await reviewsVersions(outbound, 10, 2, 'jason'), { v1: 10 });

  await mesh.apply(VIRTUAL_SERVICE_REVIEWS_TEST_V2, CALLS_REVIEWS);
  assert.deepEqual(await reviewsVersions(outbound, 20, 2, 'jason'), { v2: 20 });
  assert.deepEqual(await reviewsVersions(outbound, 30, 3), { v1: 30 });
  assert.deepEqual(await reviewsVersions(outbound, 10, 2, 'someone-else'), { v1: 10 });

  // Jason's page: v2's black stars, from ratings two hops away; each hop passed on the request
  // id the first sidecar made, and each hop was mTLS with the caller's identity.
  const { page } = await loadProductPage(outbound, 'jason');
  assert.equal(page.user, 'jason');
  assert.deepEqual(ratingsShown(page), ['5 black', '4 black']);
  assert.match(page.requestId ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(page.reviews?.requestId, page.requestId);
  assert.equal(page.reviews?.ratings?.requestId, page.requestId);
  assert.equal(page.reviews?.caller, 'URI=spiffe://cluster.local/ns/default/sa/bookinfo-productpage');
  assert.equal(ratingsShown((await loadProductPage(outbound)).page), 'none');
});

test('traffic shifting: reviews-50-v3, reviews-90-10, then reviews-v3', async () => {
  await mesh.apply(VIRTUAL_SERVICE_ALL_V1, [...CALLS_REVIEWS, ...CALLS_RATINGS]);
  assert.deepEqual(await reviewsVersions(outbound, 20, 2), { v1: 20 });

  await mesh.apply(VIRTUAL_SERVICE_REVIEWS_50_V3, CALLS_REVIEWS);
  const half = await reviewsVersions(outbound, 200, 4);
  const b50 = binomialBounds(200, 0.5, ALPHA);
  assert.deepEqual(Object.keys(half).sort(), ['v1', 'v3'], JSON.stringify(half));
  assert.ok(half.v1 >= b50.lo && half.v1 <= b50.hi, `50/50: v1 ${half.v1} of 200 outside [${b50.lo}, ${b50.hi}] (${JSON.stringify(half)})`);

  await mesh.apply(VIRTUAL_SERVICE_REVIEWS_90_10, CALLS_REVIEWS);
  const canary = await reviewsVersions(outbound, 300, 4);
  const b10 = binomialBounds(300, 0.1, ALPHA);
  assert.deepEqual(Object.keys(canary).sort(), ['v1', 'v2'], JSON.stringify(canary));
  assert.ok(canary.v2 >= b10.lo && canary.v2 <= b10.hi, `90/10: v2 ${canary.v2} of 300 outside [${b10.lo}, ${b10.hi}] (${JSON.stringify(canary)})`);

  await mesh.apply(VIRTUAL_SERVICE_REVIEWS_V3, CALLS_REVIEWS);
  assert.deepEqual(await reviewsVersions(outbound, 20, 2), { v3: 20 });
  assert.deepEqual(ratingsShown((await loadProductPage(outbound)).page), ['5 red', '4 red']);
});
