// Resources as users paste them from Istio's tasks (bookinfo) and the Gateway API GAMMA guide,
// written out here so tests run from the compiled tree too. Each must validate unchanged.

/** Request routing: user jason gets reviews v2, everyone else v1. */
export const REVIEWS_JASON = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
`;

/** The subsets the routing tasks rely on, for all four bookinfo services. */
export const BOOKINFO_DESTINATION_RULES = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: productpage
spec:
  host: productpage
  subsets:
  - name: v1
    labels:
      version: v1
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
  - name: v3
    labels:
      version: v3
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: details
spec:
  host: details
  subsets:
  - name: v1
    labels:
      version: v1
`;

/** Traffic shifting: half to v1, half to v3 (older docs still say v1beta1). */
export const REVIEWS_50_50 = `
apiVersion: networking.istio.io/v1beta1
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
      weight: 50
    - destination:
        host: reviews
        subset: v3
      weight: 50
`;

/** Traffic shifting, canary style: 90% v1, 10% v2 (the v1alpha3 of Istio's first releases). */
export const REVIEWS_90_10 = `
apiVersion: networking.istio.io/v1alpha3
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
      weight: 90
    - destination:
        host: reviews
        subset: v2
      weight: 10
`;

/** Fault injection: a 7 s delay for jason's calls to ratings. */
export const RATINGS_DELAY = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    fault:
      delay:
        percentage:
          value: 100.0
        fixedDelay: 7s
    route:
    - destination:
        host: ratings
        subset: v1
  - route:
    - destination:
        host: ratings
        subset: v1
`;

/** Fault injection: jason's calls to ratings fail with HTTP 500. */
export const RATINGS_ABORT = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts:
  - ratings
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    fault:
      abort:
        percentage:
          value: 100.0
        httpStatus: 500
    route:
    - destination:
        host: ratings
        subset: v1
  - route:
    - destination:
        host: ratings
        subset: v1
`;

/** Request timeouts: ratings slowed by 2 s, reviews given half a second. */
export const REVIEWS_TIMEOUT = `
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
        percent: 100
        fixedDelay: 2s
    route:
    - destination:
        host: ratings
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
        subset: v2
    timeout: 0.5s
`;

/** Circuit breaking: one connection, one pending request; eject after a single 5xx. */
export const HTTPBIN_CIRCUIT_BREAKER = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100
`;

/** Mutual TLS required everywhere: the mesh-wide policy lives in the root namespace. */
export const MESH_STRICT_MTLS = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: "default"
  namespace: "istio-system"
spec:
  mtls:
    mode: STRICT
`;

/** Only the reviews service account may GET from ratings. */
export const RATINGS_ALLOW_GET = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: get-ratings
  namespace: default
spec:
  selector:
    matchLabels:
      app: ratings
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/bookinfo-reviews"]
    to:
    - operation:
        methods: ["GET"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-nothing
  namespace: default
spec:
  {}
`;

/** JWTs from the testing issuer, keys fetched from a JWKS URL; the token must be present for /headers. */
export const HTTPBIN_JWT = `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt-example
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  jwtRules:
  - issuer: "testing@secure.istio.io"
    jwksUri: "https://raw.githubusercontent.com/istio/istio/master/security/tools/jwt/samples/jwks.json"
    forwardOriginalToken: true
    fromHeaders:
    - name: Authorization
      prefix: "Bearer "
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: require-jwt
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
  action: ALLOW
  rules:
  - from:
    - source:
       requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"]
    to:
    - operation:
        paths: ["/headers"]
    when:
    - key: request.auth.claims[groups]
      values: ["group1"]
`;

/** GAMMA: a mesh route whose parent is the reviews Service, 90/10 between two versions. */
export const REVIEWS_GAMMA_HTTPROUTE = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: reviews
spec:
  parentRefs:
  - group: ""
    kind: Service
    name: reviews
    port: 9080
  rules:
  - matches:
    - headers:
      - name: end-user
        value: jason
    backendRefs:
    - name: reviews-v2
      port: 9080
  - backendRefs:
    - name: reviews-v1
      port: 9080
      weight: 90
    - name: reviews-v2
      port: 9080
      weight: 10
    timeouts:
      request: 500ms
`;

/** Ingress: Istio's bookinfo gateway and the routes bound to it. */
export const BOOKINFO_GATEWAY = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bookinfo-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: bookinfo
spec:
  hosts:
  - "*"
  gateways:
  - bookinfo-gateway
  http:
  - match:
    - uri:
        exact: /productpage
    - uri:
        prefix: /static
    - uri:
        exact: /login
    - uri:
        exact: /logout
    - uri:
        prefix: /api/v1/products
    route:
    - destination:
        host: productpage
        port:
          number: 9080
`;

/** Egress: an external HTTPS API made known to the mesh. */
export const EXTERNAL_SERVICE_ENTRY = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin-ext
spec:
  hosts:
  - httpbin.org
  ports:
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
  location: MESH_EXTERNAL
`;

/** gRPC routing by service and method. */
export const GREETER_GRPCROUTE = `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata:
  name: greeter
  namespace: grpc
spec:
  parentRefs:
  - group: ""
    kind: Service
    name: greeter
  rules:
  - matches:
    - method:
        service: helloworld.Greeter
        method: SayHello
    backendRefs:
    - name: greeter-v2
      port: 50051
  - backendRefs:
    - name: greeter-v1
      port: 50051
`;

/** What \`kubectl get vs reviews -o yaml\` prints: server-written metadata and status included. */
export const KUBECTL_EXPORT = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"annotations":{},"name":"reviews","namespace":"default"},"spec":{"hosts":["reviews"],"http":[{"route":[{"destination":{"host":"reviews","subset":"v1"}}]}]}}
  creationTimestamp: "2024-05-02T10:11:12Z"
  generation: 1
  managedFields:
  - apiVersion: networking.istio.io/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:spec:
        .: {}
        f:hosts: {}
    manager: kubectl-client-side-apply
    operation: Update
    time: "2024-05-02T10:11:12Z"
  name: reviews
  namespace: default
  resourceVersion: "12345"
  uid: 4b4c6a52-4c0b-4a9f-9f53-2f6f0f1a2b3c
spec:
  hosts:
  - reviews
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
status:
  observedGeneration: 1
  validationMessages: []
`;

/** A mesh file as in DESIGN.md §3. */
export const DEMO_MESH = `
apiVersion: maille.dev/v1alpha1
kind: Mesh
metadata: {name: demo}
spec:
  services:
    - name: reviews
      namespace: default
      port: 9080
      serviceAccount: reviews
      protocol: http
      workloads:
        - version: v1
          command: node reviews.js
          replicas: 2
        - version: v2
          command: node reviews.js
          env: {STARS: "black"}
          labels: {tier: backend}
    - name: ratings
      port: 9080
      workloads:
        - command: node ratings.js
`;

/** Every fixture above, named for test titles. */
export const TASK_YAML: Record<string, string> = {
  'request routing by end-user header': REVIEWS_JASON,
  'bookinfo destination rules': BOOKINFO_DESTINATION_RULES,
  'traffic shifting 50/50': REVIEWS_50_50,
  'traffic shifting 90/10': REVIEWS_90_10,
  'fault injection: delay': RATINGS_DELAY,
  'fault injection: abort': RATINGS_ABORT,
  'request timeouts': REVIEWS_TIMEOUT,
  'circuit breaking': HTTPBIN_CIRCUIT_BREAKER,
  'mesh-wide STRICT mTLS': MESH_STRICT_MTLS,
  'ALLOW policy with principals and methods': RATINGS_ALLOW_GET,
  'JWT with jwksUri': HTTPBIN_JWT,
  'GAMMA HTTPRoute with weights': REVIEWS_GAMMA_HTTPROUTE,
  'ingress gateway': BOOKINFO_GATEWAY,
  'service entry': EXTERNAL_SERVICE_ENTRY,
  'GRPCRoute': GREETER_GRPCROUTE,
  'kubectl export': KUBECTL_EXPORT,
  'mesh file': DEMO_MESH,
};
