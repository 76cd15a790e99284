// The demo mesh: productpage calls reviews (three versions) through its sidecar. The routing is
// Istio's own YAML: 80/10/10 canary split, end-user "jason" pinned to v3, retries on 5xx (v3
// fails 10% of its requests on purpose), and outlier detection.
import { fileURLToPath } from 'node:url';

export function demoMeshYaml(): string {
  const reviews = fileURLToPath(new URL('./reviews-app.js', import.meta.url));
  const productpage = fileURLToPath(new URL('./productpage-app.js', import.meta.url));
  const node = process.execPath;
  return `
apiVersion: maille.dev/v1alpha1
kind: Mesh
metadata: {name: demo}
spec:
  services:
    - name: productpage
      port: 9080
      workloads:
        - {version: v1, command: '"${node}" "${productpage}"'}
    - name: reviews
      port: 9080
      workloads:
        - {version: v1, command: '"${node}" "${reviews}"', env: {VERSION: v1}}
        - {version: v2, command: '"${node}" "${reviews}"', env: {VERSION: v2}}
        - {version: v3, command: '"${node}" "${reviews}"', env: {VERSION: v3}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 5, interval: 5s, baseEjectionTime: 10s, maxEjectionPercent: 50}
  subsets:
    - {name: v1, labels: {version: v1}}
    - {name: v2, labels: {version: v2}}
    - {name: v3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
    - match: [{headers: {end-user: {exact: jason}}}]
      route: [{destination: {host: reviews, subset: v3}}]
      retries: {attempts: 3, retryOn: 5xx}
    - route:
        - {destination: {host: reviews, subset: v1}, weight: 80}
        - {destination: {host: reviews, subset: v2}, weight: 10}
        - {destination: {host: reviews, subset: v3}, weight: 10}
      retries: {attempts: 2, retryOn: 5xx}
`;
}
