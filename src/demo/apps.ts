// The demo applications as `maille run` starts them: a shell command running the compiled app
// with this Node. Paths are absolute, so a mesh file made from them works from any directory.
import { fileURLToPath } from 'node:url';

export type DemoApp = 'productpage' | 'reviews' | 'ratings' | 'httpbin';

/** The `command:` of a Mesh workload running `app`. */
export function appCommand(app: DemoApp): string {
  const file = fileURLToPath(new URL(`./${app}-app.js`, import.meta.url));
  return `"${process.execPath}" "${file}"`;
}

/** `value` as a YAML double-quoted scalar (commands hold quotes and backslashes). */
export function yamlString(value: string): string {
  return JSON.stringify(value);
}
