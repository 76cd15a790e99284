// The demo apps as processes, without a mesh (no HTTP_PROXY: they call each other directly):
// httpbin's endpoints, and bookinfo's chain productpage → reviews → ratings passing on the user
// and request id, and degrading the way Istio's tasks expect when a callee fails.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';

const running: ChildProcess[] = [];
after(() => running.forEach((c) => c.kill('SIGTERM')));

/** Starts the app on a free port; resolves with the port it printed. */
function start(app: string, env: Record<string, string> = {}): Promise<number> {
  const ext = extname(fileURLToPath(import.meta.url)); // .ts under tsx, .js compiled
  const file = fileURLToPath(new URL(`./${app}-app${ext}`, import.meta.url));
  const child = spawn(process.execPath, [...(ext === '.ts' ? ['--import', 'tsx'] : []), file], {
    env: { ...process.env, PORT: '0', HTTP_PROXY: '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${app} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = / listening on 127\.0\.0\.1:(\d+)$/.exec(l);
      if (m) resolve(Number(m[1]));
    });
  });
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A port nothing listens on: a callee that is down. */
function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test('httpbin: /status, /delay, /headers, /get, and a 404 that says what exists', async () => {
  const port = await start('httpbin');
  assert.equal((await get(port, '/status/418')).status, 418);
  assert.equal((await get(port, '/status/503')).status, 503);
  const delayed = await get(port, '/delay/0.3');
  assert.equal(delayed.status, 200);
  assert.ok(delayed.ms >= 300, `${delayed.ms} ms`);
  const headers = JSON.parse((await get(port, '/headers', { 'x-forwarded-client-cert': 'URI=spiffe://x' })).body).headers;
  assert.equal(headers['X-Forwarded-Client-Cert'], 'URI=spiffe://x');
  const got = JSON.parse((await get(port, '/get?a=1', { host: 'httpbin:8000' })).body);
  assert.deepEqual([got.args, got.url], [{ a: '1' }, 'http://httpbin:8000/get?a=1']);
  const missing = await get(port, '/nope');
  assert.equal(missing.status, 404);
  assert.match(missing.body, /no such endpoint GET \/nope \(try \/get/);
});

test('bookinfo chain: the user and request id reach ratings; v1 shows no stars, v2 black, v3 red', async () => {
  const ratings = await start('ratings');
  const ratingsUrl = `http://127.0.0.1:${ratings}`;
  const pages: Record<string, unknown> = {};
  for (const version of ['v1', 'v2', 'v3']) {
    const reviews = await start('reviews', { VERSION: version, RATINGS_URL: ratingsUrl });
    const productpage = await start('productpage', { REVIEWS_URL: `http://127.0.0.1:${reviews}` });
    const r = await get(productpage, '/productpage', { 'end-user': 'jason', 'x-request-id': `req-${version}` });
    assert.equal(r.status, 200);
    const page = JSON.parse(r.body);
    assert.equal(page.user, 'jason');
    assert.equal(page.reviews.requestId, `req-${version}`);
    pages[version] = page.reviews.reviews.map((x: { rating?: { stars: number; color: string } }) => (x.rating ? `${x.rating.stars} ${x.rating.color}` : 'none'));
    if (version !== 'v1') assert.deepEqual(page.reviews.ratings, { status: 200, requestId: `req-${version}` });
  }
  assert.deepEqual(pages, { v1: ['none', 'none'], v2: ['5 black', '4 black'], v3: ['5 red', '4 red'] });
});

test('bookinfo chain: ratings down shows "unavailable" per review; reviews down shows it on the page after two tries', async () => {
  const reviews = await start('reviews', { VERSION: 'v2', RATINGS_URL: `http://127.0.0.1:${await deadPort()}` });
  const withoutRatings = JSON.parse((await get(reviews, '/reviews/0')).body);
  assert.deepEqual(
    withoutRatings.reviews.map((x: { rating: unknown }) => x.rating),
    [{ error: 'Ratings service is currently unavailable' }, { error: 'Ratings service is currently unavailable' }],
  );
  assert.equal(withoutRatings.ratings.status, 0);

  const productpage = await start('productpage', { REVIEWS_URL: `http://127.0.0.1:${await deadPort()}` });
  const r = await get(productpage, '/productpage');
  assert.equal(r.status, 200);
  const page = JSON.parse(r.body);
  assert.equal(page.reviewsError, 'Sorry, product reviews are currently unavailable for this book.');
  assert.equal(page.reviewsCalls.length, 2);
  assert.equal(r.headers['x-reviews-status'], '0');
});
