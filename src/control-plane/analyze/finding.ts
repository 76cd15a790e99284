// Building findings about a located resource, and naming other resources in messages.
import { formatPath, type FieldPath } from '../../proxy/config/path.js';
import type { Finding, Located, Severity } from './types.js';

export function findingAt(loc: Located, path: FieldPath, severity: Severity, message: string): Finding {
  const { kind, metadata } = loc.resource;
  return {
    severity,
    file: loc.file,
    line: loc.lineOf(path) ?? null,
    document: loc.docIndex + 1,
    ...(loc.item !== undefined ? { item: loc.item } : {}),
    resource: `${kind}/${metadata.namespace}/${metadata.name}`,
    path: path.length > 0 ? formatPath(path) : null,
    message,
  };
}

/** `VirtualService default/reviews (mesh.yaml:30)`: where the other side of a conflict is. */
export function mention(loc: Located): string {
  const { kind, metadata } = loc.resource;
  const line = loc.lineOf([]);
  return `${kind} ${metadata.namespace}/${metadata.name} (${loc.file}${line !== undefined ? `:${line}` : ''})`;
}
