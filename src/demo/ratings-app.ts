// The demo's "ratings" (bookinfo's): GET /ratings/ID answers the stars each reviewer gave product
// ID. reviews v2 and v3 call it, so a rule on ratings (a fault for end-user jason) shows up two
// hops away, on the product page.
import { serve, sendJson } from './serve.js';

const version = process.env.VERSION ?? 'v1';

serve(`ratings ${version}`, (req, res) => {
  req.resume();
  const path = new URL(req.url ?? '/', 'http://ratings').pathname;
  if (path === '/health') return sendJson(res, 200, { status: 'Ratings is healthy' });
  const m = /^\/ratings\/(\d+)$/.exec(path);
  if (!m || req.method !== 'GET') return sendJson(res, 404, { error: `no such resource ${req.method} ${path} (try GET /ratings/0)` });
  // The request id this hop saw: the same as productpage's and reviews' when they pass it on.
  const requestId = req.headers['x-request-id'];
  sendJson(res, 200, { id: Number(m[1]), version, ratings: { Reviewer1: 5, Reviewer2: 4 }, requestId });
});
