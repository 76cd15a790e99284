// The demo's "productpage" (bookinfo's front end), unaware of the mesh: GET /productpage (or /)
// calls reviews through its sidecar and answers the page as JSON. Like bookinfo it passes on the
// user (`end-user`, which bookinfo sets at login; here the caller sends it) and the trace headers,
// waits 3 s for reviews and tries twice, and still answers 200 when reviews fail, saying so on the
// page — Istio's fault-injection and timeout tasks are about exactly this behaviour.
import { meshGet } from './mesh-client.js';
import { propagatedHeaders } from './propagate.js';
import { sendJson, serve } from './serve.js';

const reviewsUrl = process.env.REVIEWS_URL ?? 'http://reviews:9080';
const REVIEWS_TIMEOUT_MS = 3000;
const REVIEWS_TRIES = 2;
const REVIEWS_UNAVAILABLE = 'Sorry, product reviews are currently unavailable for this book.';

/** What one call to reviews got: its status, and the sidecar's reason when it answered itself. */
interface ReviewsCall {
  status: number;
  error?: string;
}

async function productReviews(id: number, headers: Record<string, string>): Promise<{ reviews?: unknown; calls: ReviewsCall[] }> {
  const calls: ReviewsCall[] = [];
  for (let i = 0; i < REVIEWS_TRIES; i++) {
    const reply = await meshGet(`${reviewsUrl}/reviews/${id}`, headers, REVIEWS_TIMEOUT_MS);
    calls.push({ status: reply.status, ...(reply.error ? { error: reply.error } : {}) });
    if (reply.status === 200) return { reviews: JSON.parse(reply.body) as unknown, calls };
  }
  return { calls };
}

serve('productpage', async (req, res) => {
  req.resume();
  const path = new URL(req.url ?? '/', 'http://productpage').pathname;
  if (path === '/health') return sendJson(res, 200, { status: 'Product page is healthy' });
  if (path !== '/' && path !== '/productpage') return sendJson(res, 404, { error: `no such page ${path} (try /productpage)` });
  const user = req.headers['end-user'];
  const { reviews, calls } = await productReviews(0, propagatedHeaders(req.headers));
  sendJson(
    res,
    200,
    {
      page: 'product',
      productId: 0,
      user: typeof user === 'string' ? user : undefined,
      requestId: req.headers['x-request-id'],
      ...(reviews ? { reviews } : { reviewsError: REVIEWS_UNAVAILABLE }),
      reviewsCalls: calls,
    },
    { 'x-reviews-status': String(calls[calls.length - 1].status) },
  );
});
