// What analyze reads and reports. A Located resource remembers where it was written, so every
// finding about it can name the file, the document and the line of the field it is about.
import type { Resource } from '../../api/kinds.js';
import type { FieldPath } from '../../api/problems.js';

export type Severity = 'error' | 'warning';

/**
 * One finding, as `-o json|yaml` prints it. Fields that do not apply (a YAML syntax error has no
 * resource) are null rather than absent, so scripts read the same shape every time.
 */
export interface Finding {
  severity: Severity;
  file: string;
  line: number | null;
  /** Position of the document in its file, from 1. */
  document: number | null;
  /** Position in the `items` of a `kind: List` document, when the resource came from one. */
  item?: number;
  /** `Kind/namespace/name`. */
  resource: string | null;
  /** Field path inside the resource, e.g. `spec.http[0].route[1].destination.subset`. */
  path: string | null;
  /** What is wrong; what to do. */
  message: string;
}

export interface Located<R extends Resource = Resource> {
  readonly resource: R;
  readonly file: string;
  /** From 0, as in the file; shown from 1. */
  readonly docIndex: number;
  readonly item?: number;
  /** Line of a field (or of its nearest written parent). */
  lineOf(path: FieldPath): number | undefined;
}

/** Settings that change what a finding is (the root namespace holds mesh-wide configuration). */
export interface AnalyzeOptions {
  readonly rootNamespace: string;
  readonly trustDomain: string;
}

export const DEFAULT_OPTIONS: AnalyzeOptions = { rootNamespace: 'istio-system', trustDomain: 'cluster.local' };
