// Istio's bookinfo as a maille Mesh: productpage → reviews v1/v2/v3 → ratings, each with
// bookinfo's service account. Only the workloads: routing comes from Istio's YAML, applied on top.
import { appCommand, yamlString, type DemoApp } from './apps.js';

export interface BookinfoOptions {
  /** Extra environment per reviews version, e.g. {v3: {FAIL_RATE: '0.1'}}. */
  reviewsEnv?: Partial<Record<'v1' | 'v2' | 'v3', Record<string, string>>>;
}

function workload(app: DemoApp, version: string, env: Record<string, string> = {}): string {
  const vars = Object.entries({ VERSION: version, ...env }).map(([k, v]) => `${k}: ${yamlString(v)}`);
  return `        - {version: ${version}, command: ${yamlString(appCommand(app))}, env: {${vars.join(', ')}}}`;
}

/** The Mesh document (YAML) of bookinfo's workloads. */
export function bookinfoMeshYaml(opts: BookinfoOptions = {}): string {
  const env = opts.reviewsEnv ?? {};
  return `apiVersion: maille.dev/v1alpha1
kind: Mesh
metadata: {name: bookinfo}
spec:
  services:
    - name: productpage
      port: 9080
      serviceAccount: bookinfo-productpage
      workloads:
${workload('productpage', 'v1')}
    - name: reviews
      port: 9080
      serviceAccount: bookinfo-reviews
      workloads:
${workload('reviews', 'v1', env.v1)}
${workload('reviews', 'v2', env.v2)}
${workload('reviews', 'v3', env.v3)}
    - name: ratings
      port: 9080
      serviceAccount: bookinfo-ratings
      workloads:
${workload('ratings', 'v1')}
`;
}
