// Loading bookinfo's product page through the productpage workload's sidecar, as the demo's
// traffic does, and reading which reviews version answered and what ratings said.
import { Agent } from 'node:http';
import { call } from './client.js';

type Rating = { stars: number; color: string } | { error: string };

export interface ProductPage {
  user?: string;
  requestId?: string;
  reviews?: {
    version: string;
    requestId?: string;
    caller?: string;
    reviews: { reviewer: string; rating?: Rating }[];
    ratings?: { status: number; requestId?: string; error?: string };
  };
  reviewsError?: string;
  reviewsCalls: { status: number; error?: string }[];
}

export interface PageLoad {
  status: number;
  elapsedMs: number;
  page: ProductPage;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** GET http://productpage:9080/productpage through the sidecar listening on `outbound`. */
export async function loadProductPage(outbound: number, user?: string): Promise<PageLoad> {
  const started = Date.now();
  const r = await call(outbound, 'http://productpage:9080/productpage', { host: 'productpage:9080', agent, headers: user ? { 'end-user': user } : {} });
  const elapsedMs = Date.now() - started;
  if (r.status !== 200) throw new Error(`productpage answered ${r.status} ${r.headers['x-maille-error'] ?? ''}: ${r.body}`);
  return { status: r.status, elapsedMs, page: JSON.parse(r.body) as ProductPage };
}

/** The reviews version each of `n` page loads showed (`unavailable` when reviews failed), `concurrency` at a time. */
export async function reviewsVersions(outbound: number, n: number, concurrency: number, user?: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next++ < n) {
      const { page } = await loadProductPage(outbound, user);
      const v = page.reviews?.version ?? 'unavailable';
      counts[v] = (counts[v] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

/** The ratings shown on a page: `none` (v1 shows none), or each reviewer's stars and colour, or the error. */
export function ratingsShown(page: ProductPage): string[] | 'none' {
  const reviews = page.reviews?.reviews ?? [];
  if (reviews.every((r) => r.rating === undefined)) return 'none';
  return reviews.map((r) => (r.rating && 'stars' in r.rating ? `${r.rating.stars} ${r.rating.color}` : (r.rating?.error ?? '?')));
}
