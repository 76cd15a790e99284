// Per-node bootstrap tokens that outlive the control-plane process.
//
// The launcher hands each proxy a token (a file beside it); the proxy shows it to get its first
// certificate, and again whenever it has none valid: after a restart of the proxy, or when its
// certificate expired while the control plane was away. A control plane that forgot its tokens on
// restart would strand exactly those proxies, so the tokens are kept in the state directory.
//
// Only a SHA-256 of each token is stored: the control plane verifies tokens, it never hands them
// out again (the launcher keeps the token itself, next to the proxy). A token is 24 random bytes,
// so a plain hash cannot be reversed by guessing; no slow KDF is needed. One token per node: a
// node registered again with another token no longer accepts the old one.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readJsonStateFile, readStateFileIfExists, SECRET_MODE, StateFileError, writeFileAtomic } from './state-files.js';
import type { WorkloadIdentity } from './types.js';

const FORMAT_VERSION = 1;

/** `<state>/ca/bootstrap-tokens.json` (0600: the hashes are not secrets, the node list is private). */
export function bootstrapTokensFile(stateDir: string): string {
  return join(stateDir, 'ca', 'bootstrap-tokens.json');
}

/** A new token: 24 random bytes, base64url (fits `authorization: Bearer …` as is). */
export function newBootstrapToken(): string {
  return randomBytes(24).toString('base64url');
}

/** What a launcher may hand out as a token (e.g. one it kept from an earlier run). */
export function isWellFormedToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{32,}$/.test(token);
}

export interface TokenGrant {
  readonly nodeId: string;
  readonly identity: WorkloadIdentity;
}

interface StoredNode {
  sha256: string;
  identity: WorkloadIdentity;
}

export class BootstrapTokens {
  /** node id → what is stored for it; and the reverse index by hash, for verify(). */
  private readonly byNode = new Map<string, StoredNode>();
  private readonly byHash = new Map<string, string>();
  /** Writes are coalesced: a burst of registrations (thousands of proxies at start) is one write. */
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastError: Error | undefined;

  private constructor(
    private readonly file: string,
    private readonly log?: { warn(message: string, fields?: Record<string, unknown>): void },
  ) {}

  /** Loads the tokens registered by earlier runs (none on a first start). */
  static async open(stateDir: string, log?: { warn(message: string, fields?: Record<string, unknown>): void }): Promise<BootstrapTokens> {
    const file = bootstrapTokensFile(stateDir);
    const store = new BootstrapTokens(file, log);
    if ((await readStateFileIfExists(file)) === undefined) return store;
    const nodes = parseStored(file, await readJsonStateFile(file));
    for (const [nodeId, stored] of Object.entries(nodes)) store.set(nodeId, stored);
    return store;
  }

  /** Accept `token` for `nodeId` from now on (and after restarts); its previous token stops working. */
  register(nodeId: string, identity: WorkloadIdentity, token: string): void {
    if (!isWellFormedToken(token)) throw new Error(`bootstrap token for node ${nodeId}: expected at least 32 base64url characters`);
    const { trustDomain, namespace, serviceAccount } = identity;
    this.set(nodeId, { sha256: hashOf(token), identity: { trustDomain, namespace, serviceAccount } });
    this.dirty = true;
    this.writing ??= this.writeLoop();
  }

  /** The node and identity a token was registered for; undefined refuses it. */
  verify(token: string): TokenGrant | undefined {
    const nodeId = this.byHash.get(hashOf(token));
    const stored = nodeId === undefined ? undefined : this.byNode.get(nodeId);
    return nodeId === undefined || stored === undefined ? undefined : { nodeId, identity: stored.identity };
  }

  /** Resolves once every registration so far is on disk; rejects with the last write error. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    if (this.lastError !== undefined) throw this.lastError;
  }

  private set(nodeId: string, stored: StoredNode): void {
    const before = this.byNode.get(nodeId);
    if (before !== undefined) this.byHash.delete(before.sha256);
    this.byNode.set(nodeId, stored);
    this.byHash.set(stored.sha256, nodeId);
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        const nodes = Object.fromEntries([...this.byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        try {
          await writeFileAtomic(this.file, `${JSON.stringify({ version: FORMAT_VERSION, nodes }, null, 1)}\n`, { mode: SECRET_MODE });
          this.lastError = undefined;
        } catch (err) {
          // The tokens still work in this process; only a restart would forget them.
          this.lastError = err as Error;
          this.log?.warn('cannot persist bootstrap tokens; proxies would need new ones after a restart', { error: (err as Error).message });
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function parseStored(file: string, value: unknown): Record<string, StoredNode> {
  const fail = (what: string): never => {
    throw new StateFileError(file, `${what}; delete the file to forget every token (proxies started before then must be restarted by their launcher)`);
  };
  if (typeof value !== 'object' || value === null) return fail('is not a JSON object');
  const { version, nodes } = value as { version?: unknown; nodes?: unknown };
  if (version !== FORMAT_VERSION) fail(`version: expected ${FORMAT_VERSION} (got ${JSON.stringify(version)})`);
  if (typeof nodes !== 'object' || nodes === null || Array.isArray(nodes)) return fail('nodes: expected an object of node id → token');
  for (const [nodeId, n] of Object.entries(nodes as Record<string, unknown>)) {
    const at = `nodes[${JSON.stringify(nodeId)}]`;
    const { sha256, identity } = (n ?? {}) as { sha256?: unknown; identity?: Record<string, unknown> };
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) fail(`${at}.sha256: expected 64 hex digits`);
    for (const key of ['trustDomain', 'namespace', 'serviceAccount']) {
      if (typeof identity?.[key] !== 'string' || identity[key] === '') fail(`${at}.identity.${key}: expected a non-empty string`);
    }
  }
  return nodes as Record<string, StoredNode>;
}
