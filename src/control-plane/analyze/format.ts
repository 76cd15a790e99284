// Findings as text: one line each, in the shape of the loader's errors (file:line first, so
// editors and CI annotators can jump to it), then a summary.
import type { Finding } from './types.js';

/** `mesh.yaml:14: error: document 2 (VirtualService/default/reviews): spec.http[0].route: …`. */
export function formatFinding(f: Finding): string {
  const where = f.line !== null ? `${f.file}:${f.line}` : f.file;
  const doc = f.document !== null ? `document ${f.document}${f.item !== undefined ? ` items[${f.item}]` : ''}${f.resource !== null ? ` (${f.resource})` : ''}: ` : '';
  const path = f.path !== null ? `${f.path}: ` : '';
  return `${where}: ${f.severity}: ${doc}${path}${f.message}`;
}

export function summary(findings: readonly Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  return `${errors} ${errors === 1 ? 'error' : 'errors'}, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`;
}
