// The demo's "productpage": a front end that calls the reviews service. Like any app in the
// mesh it knows nothing of maille: it calls http://reviews:9080 through $HTTP_PROXY (its sidecar),
// passing on the end-user header so header routes see it.
import { createServer, request } from 'node:http';

const port = Number(process.env.PORT ?? 9080);
const proxy = new URL(process.env.HTTP_PROXY ?? 'http://127.0.0.1:15001');

function callReviews(endUser: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      { host: proxy.hostname, port: Number(proxy.port), path: 'http://reviews:9080/reviews/1', headers: { host: 'reviews:9080', ...(endUser ? { 'end-user': endUser } : {}) } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (err) => resolve({ status: 502, body: JSON.stringify({ error: err.message }) }));
    req.end();
  });
}

const server = createServer(async (req, res) => {
  req.resume();
  const endUser = req.headers['end-user'];
  const reviews = await callReviews(typeof endUser === 'string' ? endUser : undefined);
  res.writeHead(reviews.status === 200 ? 200 : 503, { 'content-type': 'application/json', 'x-reviews-status': String(reviews.status) });
  res.end(JSON.stringify({ page: 'product', reviews: reviews.status === 200 ? JSON.parse(reviews.body) : reviews.body }));
});
server.listen(port, '127.0.0.1', () => console.log(`productpage listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
