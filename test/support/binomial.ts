// Acceptance bounds for a count that should follow Binomial(n, p): a traffic split asserted this
// way fails by chance with probability below `alpha`, computed exactly, not from a normal
// approximation (which is poor in the tails, and for p far from 1/2).

function logPmf(n: number, p: number, k: number): number {
  let logChoose = 0;
  for (let i = 1; i <= k; i++) logChoose += Math.log(n - k + i) - Math.log(i);
  return logChoose + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/** [lo, hi] with P(X < lo) ≤ alpha/2 and P(X > hi) ≤ alpha/2 for X ~ Binomial(n, p), 0 < p < 1. */
export function binomialBounds(n: number, p: number, alpha: number): { lo: number; hi: number } {
  const pmf = Array.from({ length: n + 1 }, (_, k) => Math.exp(logPmf(n, p, k)));
  let lo = 0;
  for (let below = 0; lo <= n && below + pmf[lo] <= alpha / 2; lo++) below += pmf[lo];
  let hi = n;
  for (let above = 0; hi >= 0 && above + pmf[hi] <= alpha / 2; hi--) above += pmf[hi];
  return { lo, hi };
}
