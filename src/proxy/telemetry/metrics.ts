// A small metrics registry built for the request path.
//
// A family (counter, gauge, histogram) has fixed label names. `family.labels(...values)` builds
// the series' label string once and returns a child object; the proxy resolves children once per
// snapshot per route/cluster and keeps them, so a request only does `child.inc()` or
// `child.observe(ms)`: a field update, no string building, no Map lookup.
//
// A removed child keeps working for whoever still holds it (a request from the previous snapshot
// may finish after the swap); it just is no longer rendered.
import { checkLabelName, checkMetricName, escapeHelp, formatValue, labelPairs } from './prom-format.js';

/** Label values, one string per label name, in the family's order. */
export type LabelValues<N extends readonly string[]> = { -readonly [K in keyof N]: string };

export interface FamilyOptions<N extends readonly string[]> {
  name: string;
  help: string;
  labelNames?: N;
}

export interface HistogramOptions<N extends readonly string[]> extends FamilyOptions<N> {
  /** Upper bounds (inclusive), strictly increasing, finite; `+Inf` is implied. */
  buckets?: readonly number[];
}

/** Latency buckets in milliseconds, the same as Istio's standard request duration histogram. */
export const DEFAULT_LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
]);

type MetricType = 'counter' | 'gauge' | 'histogram';

/** What every child has: its rendered label set, `a="x",b="y"` (empty for no labels). */
interface Child {
  readonly labelKey: string;
}

abstract class Family<C extends Child, N extends readonly string[]> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: N;
  abstract readonly type: MetricType;
  // Keyed by the rendered label set: it is unambiguous (quotes are escaped) and needed anyway.
  private readonly children = new Map<string, C>();

  constructor(opts: FamilyOptions<N>) {
    checkMetricName(opts.name);
    const labelNames = (opts.labelNames ?? []) as unknown as N;
    for (const l of labelNames) checkLabelName(opts.name, l);
    if (new Set(labelNames).size !== labelNames.length) {
      throw new Error(`metric ${opts.name} repeats a label name: ${labelNames.join(', ')}`);
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = labelNames;
  }

  /** The child for these label values, created on first use. Not for the per-request path. */
  labels(...values: LabelValues<N>): C {
    const key = this.keyOf(values);
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.newChild(key);
      this.children.set(key, child);
    }
    return child;
  }

  /** Stops rendering the series with these label values. Returns whether there was one. */
  remove(...values: LabelValues<N>): boolean {
    return this.children.delete(this.keyOf(values));
  }

  /** Stops rendering this child, unless another child has taken its label set since. */
  removeChild(child: C): boolean {
    if (this.children.get(child.labelKey) !== child) return false;
    return this.children.delete(child.labelKey);
  }

  /** A child that is never rendered: for holders whose series was removed. */
  detachedChild(...values: LabelValues<N>): C {
    return this.newChild(this.keyOf(values));
  }

  clear(): void {
    this.children.clear();
  }

  get size(): number {
    return this.children.size;
  }

  /** Appends this family's lines (HELP, TYPE, samples) to `out`. */
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const child of this.children.values()) this.renderChild(child, out);
  }

  protected abstract newChild(labelKey: string): C;
  protected abstract renderChild(child: C, out: string[]): void;

  private keyOf(values: readonly string[]): string {
    if (values.length !== this.labelNames.length) {
      throw new Error(
        `metric ${this.name} takes ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`,
      );
    }
    return labelPairs(this.labelNames, values);
  }
}

function series(name: string, labelKey: string): string {
  return labelKey === '' ? name : `${name}{${labelKey}}`;
}

// ---------------------------------------------------------------------------------------------

export class CounterChild implements Child {
  value = 0;
  constructor(readonly labelKey: string) {}
  /** Adds n (default 1). Counters only go up; callers pass non-negative n. */
  inc(n = 1): void {
    this.value += n;
  }
}

export class Counter<N extends readonly string[] = []> extends Family<CounterChild, N> {
  readonly type = 'counter';
  protected newChild(labelKey: string): CounterChild {
    return new CounterChild(labelKey);
  }
  protected renderChild(c: CounterChild, out: string[]): void {
    out.push(`${series(this.name, c.labelKey)} ${formatValue(c.value)}`);
  }
}

// ---------------------------------------------------------------------------------------------

export class GaugeChild implements Child {
  value = 0;
  /** When set, the value is read from it at render time instead of `value`. */
  read: (() => number) | undefined = undefined;
  constructor(readonly labelKey: string) {}
  set(v: number): void {
    this.value = v;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
  /** Reads the value from `fn` at render time (for values kept elsewhere: memory, pool sizes). */
  setFunction(fn: () => number): void {
    this.read = fn;
  }
}

export class Gauge<N extends readonly string[] = []> extends Family<GaugeChild, N> {
  readonly type = 'gauge';
  protected newChild(labelKey: string): GaugeChild {
    return new GaugeChild(labelKey);
  }
  protected renderChild(c: GaugeChild, out: string[]): void {
    let v = c.value;
    if (c.read !== undefined) {
      // A failing callback loses its own sample, never the whole scrape.
      try {
        v = c.read();
      } catch {
        return;
      }
    }
    out.push(`${series(this.name, c.labelKey)} ${formatValue(v)}`);
  }
}

// ---------------------------------------------------------------------------------------------

export class HistogramChild implements Child {
  sum = 0;
  count = 0;
  /** Per-bucket counts, not cumulative (one increment per observation); last slot: above all bounds. */
  readonly counts: Float64Array;
  constructor(
    readonly labelKey: string,
    private readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    // NaN would poison the sum forever; drop it.
    if (v !== v) return;
    // Linear scan: latencies mostly land in the first few buckets, where this beats bisection.
    const b = this.bounds;
    const n = b.length;
    let i = 0;
    while (i < n && v > b[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

export class Histogram<N extends readonly string[] = []> extends Family<HistogramChild, N> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  private readonly bounds: Float64Array;
  private readonly leLabels: string[];

  constructor(opts: HistogramOptions<N>) {
    super(opts);
    if (this.labelNames.includes('le')) throw new Error(`histogram ${this.name} cannot use the label name "le"`);
    const buckets = opts.buckets ?? DEFAULT_LATENCY_BUCKETS_MS;
    if (buckets.length === 0) throw new Error(`histogram ${this.name} needs at least one bucket`);
    for (let i = 0; i < buckets.length; i++) {
      if (!Number.isFinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
        throw new Error(
          `histogram ${this.name}: buckets must be finite and strictly increasing (+Inf is implied), got ${buckets.join(', ')}`,
        );
      }
    }
    this.buckets = Object.freeze([...buckets]);
    this.bounds = Float64Array.from(buckets);
    this.leLabels = [...buckets.map((b) => `le="${formatValue(b)}"`), 'le="+Inf"'];
  }

  protected newChild(labelKey: string): HistogramChild {
    return new HistogramChild(labelKey, this.bounds);
  }

  protected renderChild(c: HistogramChild, out: string[]): void {
    const sep = c.labelKey === '' ? '' : ',';
    const bucket = `${this.name}_bucket{${c.labelKey}${sep}`;
    let cumulative = 0;
    for (let i = 0; i < this.leLabels.length; i++) {
      cumulative += c.counts[i];
      out.push(`${bucket}${this.leLabels[i]}} ${formatValue(cumulative)}`);
    }
    out.push(`${series(`${this.name}_sum`, c.labelKey)} ${formatValue(c.sum)}`);
    out.push(`${series(`${this.name}_count`, c.labelKey)} ${formatValue(c.count)}`);
  }
}

// ---------------------------------------------------------------------------------------------

type AnyFamily = Counter<readonly string[]> | Gauge<readonly string[]> | Histogram<readonly string[]>;

/** Families in registration order; `render()` is the body of a Prometheus scrape. */
export class Registry {
  private readonly families: AnyFamily[] = [];
  private readonly names = new Set<string>();

  counter<const N extends readonly string[] = []>(opts: FamilyOptions<N>): Counter<N> {
    return this.add(new Counter<N>(opts));
  }

  gauge<const N extends readonly string[] = []>(opts: FamilyOptions<N>): Gauge<N> {
    return this.add(new Gauge<N>(opts));
  }

  histogram<const N extends readonly string[] = []>(opts: HistogramOptions<N>): Histogram<N> {
    return this.add(new Histogram<N>(opts));
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const f of this.families) f.render(out);
    return out.length === 0 ? '' : out.join('\n') + '\n';
  }

  private add<F extends { name: string }>(family: F): F {
    // A histogram also owns name_bucket, name_sum and name_count; a clash there is rare and
    // Prometheus would reject it at scrape time, so only exact duplicates are checked here.
    if (this.names.has(family.name)) throw new Error(`metric ${family.name} is already registered`);
    this.names.add(family.name);
    this.families.push(family as unknown as AnyFamily);
    return family;
  }
}
