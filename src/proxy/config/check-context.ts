// Shared state of the semantic checks: the problems found so far and the names a reference may
// point at (built once, so every reference check is a map lookup).
import type { Cluster, Snapshot } from '../../model/snapshot.js';
import { formatPath, listNames, type FieldPath } from './path.js';
import type { Problem } from './schema-problems.js';

export class CheckContext {
  readonly problems: Problem[] = [];
  /** First cluster of each name (duplicates are reported separately). */
  readonly clusters = new Map<string, Cluster>();
  readonly routeConfigNames = new Set<string>();

  constructor(snapshot: Snapshot) {
    for (const c of snapshot.clusters ?? []) if (!this.clusters.has(c.name)) this.clusters.set(c.name, c);
    for (const r of snapshot.routeConfigs ?? []) this.routeConfigNames.add(r.name);
  }

  report(path: FieldPath, message: string): void {
    this.problems.push({ path, message });
  }

  /** Reports `path` unless it names an existing cluster (and subset, when `subset` is given). */
  checkClusterRef(path: FieldPath, name: string, subset?: { path: FieldPath; name: string }): void {
    const cluster = this.clusters.get(name);
    if (!cluster) {
      const known = [...this.clusters.keys()];
      const hint = known.length > 0 ? `clusters: ${listNames(known)}` : 'no clusters defined';
      this.report(path, `no cluster named "${name}" (${hint})`);
      return;
    }
    if (subset === undefined) return;
    const subsets = (cluster.subsets ?? []).map((s) => s.name);
    if (!subsets.includes(subset.name)) {
      const hint = subsets.length > 0 ? `subsets: ${listNames(subsets)}` : 'it defines no subsets';
      this.report(subset.path, `cluster "${name}" has no subset "${subset.name}" (${hint})`);
    }
  }

  /**
   * A checker for names that must be unique in the list at `listPath`: call it for each item in
   * order, and it reports a repeat at that item, so problems stay in document order.
   */
  uniqueNames(listPath: FieldPath, what: string): (index: number, name: string) => void {
    const first = new Map<string, number>();
    return (i, name) => {
      const j = first.get(name);
      if (j === undefined) first.set(name, i);
      else this.report([...listPath, i, 'name'], `duplicate ${what} name "${name}" (first at ${formatPath([...listPath, j])})`);
    };
  }
}
