// The demo's "reviews" application: a plain HTTP server, unaware of the mesh. It listens on
// $PORT and answers with its version; VERSION=v3 fails 10% of requests with 503 so retries and
// outlier detection have something to do.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 9080);
const version = process.env.VERSION ?? 'v1';
const stars = version === 'v1' ? 0 : version === 'v2' ? 4 : 5;
const failRate = Number(process.env.FAIL_RATE ?? (version === 'v3' ? 0.1 : 0));

const server = createServer((req, res) => {
  req.resume();
  if (Math.random() < failRate) {
    res.writeHead(503, { 'content-type': 'text/plain' }).end(`reviews ${version} is having a bad moment\n`);
    return;
  }
  // The caller's mesh identity, as the sidecar verified it over mTLS (absent for plaintext).
  const caller = req.headers['x-forwarded-client-cert'];
  const body = JSON.stringify({ service: 'reviews', version, stars, path: req.url, caller });
  res.writeHead(200, { 'content-type': 'application/json', 'x-version': version }).end(body);
});
server.listen(port, '127.0.0.1', () => console.log(`reviews ${version} listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
