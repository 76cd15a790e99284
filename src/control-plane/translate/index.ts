// translate: the pure function from resources and registry to one proxy's snapshot.
export { translate } from './translate.js';
export type { GatewayCredential, GatewayNode, MeshSettings, ProxyNode, SidecarNode, TranslateInput, TranslateResult } from './types.js';
export { inboundClusterName, outboundClusterName } from './clusters.js';
