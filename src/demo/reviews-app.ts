// The demo's "reviews" (bookinfo's), unaware of the mesh. GET /reviews/ID answers two reviews of
// product ID. As in bookinfo, v1 shows no stars, v2 asks ratings and shows black stars, v3 red
// ones; v2 waits up to 10 s for ratings, v3 2.5 s (Istio's fault-injection task depends on these).
// When ratings fails, the reviews still come back, each saying ratings are unavailable.
// FAIL_RATE (0..1) makes this version answer 503 that often, for retries and outlier detection.
import { meshGet } from './mesh-client.js';
import { propagatedHeaders } from './propagate.js';
import { sendJson, serve } from './serve.js';

const version = process.env.VERSION ?? 'v1';
const failRate = Number(process.env.FAIL_RATE ?? 0);
const ratingsUrl = process.env.RATINGS_URL ?? 'http://ratings:9080';
const STYLE: Record<string, { color: string; timeoutMs: number } | undefined> = {
  v2: { color: 'black', timeoutMs: 10_000 },
  v3: { color: 'red', timeoutMs: 2_500 },
};
const REVIEWS = [
  { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
  { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
];
const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

type Rating = { stars: number; color: string } | { error: string };

serve(`reviews ${version}`, async (req, res) => {
  req.resume();
  const path = new URL(req.url ?? '/', 'http://reviews').pathname;
  if (path === '/health') return sendJson(res, 200, { status: 'Reviews is healthy' });
  if (Math.random() < failRate) return sendJson(res, 503, { error: `reviews ${version} is having a bad moment` });
  const id = Number(/^\/reviews\/(\d+)$/.exec(path)?.[1] ?? 0);
  const style = STYLE[version];
  let ratings: { status: number; requestId?: string; error?: string } | undefined;
  const rating: Record<string, Rating> = {};
  if (style) {
    const reply = await meshGet(`${ratingsUrl}/ratings/${id}`, propagatedHeaders(req.headers), style.timeoutMs);
    let stars: Record<string, number> | undefined;
    if (reply.status === 200) {
      const body = JSON.parse(reply.body) as { ratings: Record<string, number>; requestId?: string };
      stars = body.ratings;
      ratings = { status: 200, ...(body.requestId ? { requestId: body.requestId } : {}) };
    } else {
      ratings = { status: reply.status, error: reply.error ?? reply.body };
    }
    for (const r of REVIEWS) rating[r.reviewer] = stars?.[r.reviewer] !== undefined ? { stars: stars[r.reviewer], color: style.color } : { error: RATINGS_UNAVAILABLE };
  }
  sendJson(
    res,
    200,
    {
      service: 'reviews',
      version,
      id,
      path: req.url,
      // The caller's mesh identity, as the sidecar verified it over mTLS (absent for plaintext).
      caller: req.headers['x-forwarded-client-cert'],
      requestId: req.headers['x-request-id'],
      reviews: REVIEWS.map((r) => ({ ...r, ...(style ? { rating: rating[r.reviewer] } : {}) })),
      ...(ratings ? { ratings } : {}),
    },
    { 'x-version': version },
  );
});
