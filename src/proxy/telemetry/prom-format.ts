// Pieces of the Prometheus text exposition format 0.0.4 that the registry needs: name rules,
// escaping and number formatting. Kept apart so the registry reads as data structures only.

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkMetricName(name: string): void {
  if (!METRIC_NAME.test(name)) {
    throw new Error(`invalid metric name "${name}": must match [a-zA-Z_:][a-zA-Z0-9_:]*`);
  }
}

export function checkLabelName(metric: string, label: string): void {
  // Names starting with "__" are reserved for Prometheus' own use.
  if (!LABEL_NAME.test(label) || label.startsWith('__')) {
    throw new Error(`invalid label name "${label}" on metric ${metric}: must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __`);
  }
}

// Most label values (route and cluster names, status codes) need no escaping; test once and
// return the same string so rendering a series label set allocates nothing extra.
const NEEDS_LABEL_ESCAPE = /[\\"\n]/;

/** Label value escaping: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_LABEL_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escaping: backslash and line feed only (quotes are legal there). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Sample values as Prometheus parses them (Go float syntax; JS shortest round-trip is valid). */
export function formatValue(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isNaN(n)) return 'NaN';
  return String(n);
}

/** `a="x",b="y"`: the inside of a series' braces, without the braces. */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
  let s = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) s += ',';
    s += `${names[i]}="${escapeLabelValue(values[i])}"`;
  }
  return s;
}
