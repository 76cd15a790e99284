// Opening the CA at control-plane start: the plug-in CA when the user gave one, otherwise maille's
// own root from the state directory (created on first start), with any rotation overlap restored.
import { loadOrCreateRoot, loadPluginCa, type PluginCaFiles } from './root.js';
import { completePendingRotation, loadRetiredRoots, pruneRetiredRoots } from './rotation.js';
import { DEFAULT_TRUST_DOMAIN, validateTrustDomain } from './spiffe.js';
import { TrustBundle } from './trust-bundle.js';
import type { CertificateAuthority } from './types.js';

export interface OpenCaOptions {
  /** The state directory (DESIGN §3); the self-signed root lives in its ca/ folder. */
  stateDir: string;
  /** Default cluster.local. */
  trustDomain?: string;
  /** A user-provided CA instead of maille's own root. */
  plugin?: PluginCaFiles;
  now?: Date;
}

export async function openCertificateAuthority(options: OpenCaOptions): Promise<CertificateAuthority> {
  const trustDomain = validateTrustDomain(options.trustDomain ?? DEFAULT_TRUST_DOMAIN);
  const now = options.now ?? new Date();
  if (options.plugin) {
    const signer = await loadPluginCa(options.plugin, now);
    return { trustDomain, source: 'plug-in', signer, trustBundle: new TrustBundle([{ cert: signer.root }]) };
  }
  await completePendingRotation(options.stateDir);
  const signer = await loadOrCreateRoot(options.stateDir, trustDomain, now);
  const bundle = new TrustBundle([{ cert: signer.root }, ...(await loadRetiredRoots(options.stateDir))]);
  // Roots whose overlap ended while the control plane was down are forgotten for good.
  await pruneRetiredRoots(options.stateDir, bundle, now);
  return { trustDomain, source: 'self-signed', signer, trustBundle: bundle.prune(now) };
}
