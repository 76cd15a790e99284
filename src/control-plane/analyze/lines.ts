// Lines of fields in a YAML document, and field paths as translate writes them back into segments,
// so a finding about `spec.http[0].route` points at the line where that route is written.
import type { PathSegment } from '../../proxy/config/path.js';

// The line lookup itself is the loader's (one walker for both).
export { lineOfPath } from '../../api/load.js';

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
