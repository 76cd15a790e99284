// Istio's fault-injection and request-timeout tasks on bookinfo under `maille run`, the YAML
// unchanged (the 7 s delay included: its consequence is the point of the task). What the tasks
// show happens here too, for the reasons they give: bookinfo's productpage waits 3 s for reviews
// and tries twice, so jason's page gives up on reviews after 6 s although reviews v2 would wait
// 10 s for ratings; an abort on ratings shows on the page two hops away; a 0.5 s timeout on
// reviews makes the page answer in about 1 s (two tries) instead of 2.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { bookinfoMeshYaml } from '../../src/demo/bookinfo-mesh.js';
import { call } from '../support/client.js';
import { loadProductPage, ratingsShown, reviewsVersions } from '../support/bookinfo.js';
import {
  DESTINATION_RULE_ALL,
  TIMEOUTS_RATINGS_DELAY_2S,
  TIMEOUTS_REVIEWS_V2,
  TIMEOUTS_REVIEWS_V2_HALF_SECOND,
  VIRTUAL_SERVICE_ALL_V1,
  VIRTUAL_SERVICE_RATINGS_TEST_ABORT,
  VIRTUAL_SERVICE_RATINGS_TEST_DELAY,
  VIRTUAL_SERVICE_REVIEWS_TEST_V2,
} from '../support/istio-tasks.js';
import { startMailleRun, type MailleRun } from '../support/maille-run.js';

const CALLS_REVIEWS = ['productpage-v1-0'];
const CALLS_RATINGS = ['reviews-v2-0', 'reviews-v3-0'];
const REVIEWS_UNAVAILABLE = 'Sorry, product reviews are currently unavailable for this book.';
const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

let mesh: MailleRun;
let outbound: number; // productpage's sidecar: pages are loaded through it, as the demo does

before(async () => {
  mesh = await startMailleRun(`${bookinfoMeshYaml()}---${DESTINATION_RULE_ALL}`);
  outbound = mesh.workload('productpage-v1-0').outbound;
  // "Apply application version routing by performing the request routing task."
  await mesh.apply(VIRTUAL_SERVICE_ALL_V1, [...CALLS_REVIEWS, ...CALLS_RATINGS]);
  await mesh.apply(VIRTUAL_SERVICE_REVIEWS_TEST_V2, CALLS_REVIEWS);
});
after(async () => {
  if (mesh) assert.equal(await mesh.stop(), 0);
});

test('fault injection: ratings-test-delay (7 s for jason) outlasts productpage\'s 2 × 3 s; others unaffected', async () => {
  await mesh.apply(VIRTUAL_SERVICE_RATINGS_TEST_DELAY, CALLS_RATINGS);
  const reviewsV2 = mesh.workload('reviews-v2-0').outbound;
  // At the same time, the delay itself, seen from reviews v2's sidecar: 7 s, then ratings' answer.
  const direct = (async () => {
    const started = Date.now();
    const r = await call(reviewsV2, 'http://ratings:9080/ratings/0', { host: 'ratings:9080', headers: { 'end-user': 'jason' } });
    return { status: r.status, elapsedMs: Date.now() - started };
  })();
  const jason = await loadProductPage(outbound, 'jason');
  assert.equal(jason.page.reviewsError, REVIEWS_UNAVAILABLE, JSON.stringify(jason.page));
  assert.deepEqual(
    jason.page.reviewsCalls.map((c) => c.error?.replace(/\d+ ms/, 'N ms')),
    ['no answer from reviews:9080 within N ms', 'no answer from reviews:9080 within N ms'],
  );
  assert.ok(jason.elapsedMs >= 6000, `jason's page after ${jason.elapsedMs} ms (2 tries × 3 s)`);
  const delayed = await direct;
  assert.equal(delayed.status, 200);
  assert.ok(delayed.elapsedMs >= 7000, `ratings for jason after ${delayed.elapsedMs} ms`);

  // Everyone else: reviews v1, at once.
  const other = await loadProductPage(outbound);
  assert.equal(other.page.reviews?.version, 'v1');
  assert.ok(other.elapsedMs < 3000, `${other.elapsedMs} ms`);
  // Other users of ratings are not delayed either (reviews v2's sidecar, no end-user).
  const started = Date.now();
  assert.equal((await call(reviewsV2, 'http://ratings:9080/ratings/0', { host: 'ratings:9080' })).status, 200);
  assert.ok(Date.now() - started < 3000);
});

test('fault injection: ratings-test-abort shows "ratings unavailable" on jason\'s page; others unaffected', async () => {
  await mesh.apply(VIRTUAL_SERVICE_RATINGS_TEST_ABORT, CALLS_RATINGS);
  const { page } = await loadProductPage(outbound, 'jason');
  assert.equal(page.reviews?.version, 'v2', JSON.stringify(page));
  assert.deepEqual(ratingsShown(page), [RATINGS_UNAVAILABLE, RATINGS_UNAVAILABLE]);
  // The 500 came from reviews v2's sidecar, which says so.
  assert.deepEqual(page.reviews?.ratings, { status: 500, error: 'MAILLE_ERR_FAULT_ABORT' });
  assert.deepEqual(await reviewsVersions(outbound, 10, 2, 'jason'), { v2: 10 });
  assert.deepEqual(await reviewsVersions(outbound, 20, 2), { v1: 20 });
  const ratingsDirect = await call(mesh.workload('reviews-v2-0').outbound, 'http://ratings:9080/ratings/0', { host: 'ratings:9080' });
  assert.equal(ratingsDirect.status, 200);
});

test('request timeouts: ratings 2 s late, then reviews given 0.5 s: the page answers in about 1 s without reviews', async () => {
  await mesh.apply(TIMEOUTS_REVIEWS_V2, CALLS_REVIEWS);
  await mesh.apply(TIMEOUTS_RATINGS_DELAY_2S, CALLS_RATINGS);
  const slow = await loadProductPage(outbound);
  assert.equal(slow.page.reviews?.version, 'v2', JSON.stringify(slow.page));
  assert.deepEqual(ratingsShown(slow.page), ['5 black', '4 black']);
  assert.ok(slow.elapsedMs >= 2000, `${slow.elapsedMs} ms (ratings delayed 2 s)`);

  await mesh.apply(TIMEOUTS_REVIEWS_V2_HALF_SECOND, CALLS_REVIEWS);
  const timedOut = await loadProductPage(outbound);
  assert.equal(timedOut.page.reviewsError, REVIEWS_UNAVAILABLE, JSON.stringify(timedOut.page));
  // productpage's sidecar gave up on each of the two tries, and said why.
  assert.deepEqual(timedOut.page.reviewsCalls, [
    { status: 504, error: 'MAILLE_ERR_UPSTREAM_TIMEOUT' },
    { status: 504, error: 'MAILLE_ERR_UPSTREAM_TIMEOUT' },
  ]);
  assert.ok(timedOut.elapsedMs >= 1000, `${timedOut.elapsedMs} ms (2 tries × 0.5 s)`);
  assert.ok(timedOut.elapsedMs < 2000, `${timedOut.elapsedMs} ms: about 1 s, instead of 2`);
});
