// Istio's traffic-management and security task YAML, as the docs give it (samples/bookinfo/
// networking/*.yaml and the inline `kubectl apply -f - <<EOF` blocks). The ones already kept
// for the API tests come from src/api/fixtures.ts; the rest are written out here. Never edited to
// suit maille: the point of the tests is that this YAML works as is.
import { REVIEWS_TIMEOUT } from '../../src/api/fixtures.js';
import { appCommand, yamlString } from '../../src/demo/apps.js';

export {
  BOOKINFO_DESTINATION_RULES as DESTINATION_RULE_ALL,
  HTTPBIN_CIRCUIT_BREAKER,
  MESH_STRICT_MTLS,
  RATINGS_ABORT as VIRTUAL_SERVICE_RATINGS_TEST_ABORT,
  RATINGS_DELAY as VIRTUAL_SERVICE_RATINGS_TEST_DELAY,
  REVIEWS_50_50 as VIRTUAL_SERVICE_REVIEWS_50_V3,
  REVIEWS_90_10 as VIRTUAL_SERVICE_REVIEWS_90_10,
  REVIEWS_JASON as VIRTUAL_SERVICE_REVIEWS_TEST_V2,
} from '../../src/api/fixtures.js';

/** samples/bookinfo/networking/virtual-service-all-v1.yaml */
export const VIRTUAL_SERVICE_ALL_V1 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: productpage
spec:
  hosts:
  - productpage
  http:
  - route:
    - destination:
        host: productpage
        subset: v1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - route:
    - destination:
        host: ratings
        subset: v1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: details
spec:
  hosts:
  - details
  http:
  - route:
    - destination:
        host: details
        subset: v1
---
`;

/** samples/bookinfo/networking/virtual-service-reviews-v3.yaml (traffic shifting, last step) */
export const VIRTUAL_SERVICE_REVIEWS_V3 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v3
`;

/** Request timeouts task, step 1: route requests to v2 of reviews (a version that calls ratings). */
export const TIMEOUTS_REVIEWS_V2 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
    - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v2
`;

/** Request timeouts task, step 2: a 2 second delay in calls to ratings. */
export const TIMEOUTS_RATINGS_DELAY_2S = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - fault:
      delay:
        percentage:
          value: 100
        fixedDelay: 2s
    route:
    - destination:
        host: ratings
        subset: v1
`;

/** Request timeouts task, step 3: half a second for calls to reviews (the second document of the API tests' REVIEWS_TIMEOUT). */
export const TIMEOUTS_REVIEWS_V2_HALF_SECOND = `\n${REVIEWS_TIMEOUT.split('\n---\n')[1]}`;

/** Mutual TLS migration task: the mesh-wide policy set back to accept plaintext too. */
export const MESH_PERMISSIVE_MTLS = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "default"
  namespace: "istio-system"
spec:
  mtls:
    mode: PERMISSIVE
`;

/**
 * A Mesh of httpbin (samples/httpbin, service port 8000) and one idle client workload to call
 * from (samples/sleep, or fortio in the circuit-breaking task): the two tasks' shared setup.
 */
export function httpbinMesh(name: string, client: { name: string; port: number }): string {
  return `apiVersion: maille.dev/v1alpha1
kind: Mesh
metadata: {name: ${name}}
spec:
  services:
    - name: httpbin
      port: 8000
      workloads:
        - {version: v1, command: ${yamlString(appCommand('httpbin'))}}
    - name: ${client.name}
      port: ${client.port}
      workloads:
        - {version: v1, command: "exec sleep 3600"}
`;
}
