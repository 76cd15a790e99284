// Lines of fields in a YAML document, and field paths as translate writes them back into segments,
// so a finding about `spec.http[0].route` points at the line where that route is written.
import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { FieldPath, PathSegment } from '../../proxy/config/path.js';

/** The line of the deepest part of `path` present in the document (a missing field: its parent). */
export function lineOfPath(doc: Document, lines: LineCounter, path: FieldPath): number | undefined {
  const lineAt = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lines.linePos(range[0]).line : undefined;
  };
  let node: unknown = doc.contents;
  let line = lineAt(node);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      line = lineAt(pair.key) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      line = lineAt(node) ?? line;
    } else break;
  }
  return line;
}

/**
 * `spec.http[0].route[1]` or `selector["app.kubernetes.io/name"]` → segments: the inverse of
 * formatPath, for the paths translate's warnings carry as text. A dotted number (`portLevelMtls.8080`)
 * stays a map key.
 */
export function parsePath(text: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3]) as string);
  }
  return out;
}
