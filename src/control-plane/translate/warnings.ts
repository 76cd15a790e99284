// Warnings: translate never throws for configuration that validated, so everything it cannot
// apply as written is said here, one line each, in the style of the CLI's errors:
//   VirtualService default/reviews: spec.http[0].fault.delay: <what happened and what was done>
import type { Resource } from '../../api/kinds.js';

export class Warnings {
  private readonly lines: string[] = [];
  private readonly seen = new Set<string>();

  /** Adds a line once: the same resource can be translated for several ports or clusters. */
  add(line: string): void {
    if (this.seen.has(line)) return;
    this.seen.add(line);
    this.lines.push(line);
  }

  /** A warning about a field of a resource. `path` is like `spec.http[0].route`. */
  at(resource: Resource, path: string, message: string): void {
    this.add(`${describe(resource)}: ${path}: ${message}`);
  }

  list(): string[] {
    return [...this.lines];
  }
}

/** `VirtualService default/reviews`. */
export function describe(resource: Resource): string {
  return `${resource.kind} ${resource.metadata.namespace}/${resource.metadata.name}`;
}
