// The demo mesh: bookinfo (productpage → reviews v1/v2/v3 → ratings) routed by Istio's own YAML:
// 80/10/10 canary split of reviews, end-user "jason" pinned to v3, retries on 5xx (v3 fails 10%
// of its requests on purpose), and outlier detection.
import { bookinfoMeshYaml } from './bookinfo-mesh.js';

export function demoMeshYaml(): string {
  return `${bookinfoMeshYaml({ reviewsEnv: { v3: { FAIL_RATE: '0.1' } } })}---
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
