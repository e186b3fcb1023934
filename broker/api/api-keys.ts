// API keys: SLUICE_API_KEYS holds entries "name:scope+scope:sha256hex"; only the SHA-256 of
// each key is configured, the key itself is shown once when minted (`formatApiKeyEntry`). A
// presented key is hashed and compared with every entry in constant time. No HTTP here: the
// CLI mints keys without loading the API's web stack (the middleware is auth.ts).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../core/errors.ts';

export const SCOPES = ['jobs:read', 'jobs:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type Principal = { name: string; scopes: ReadonlySet<Scope> };

type KeyEntry = Principal & { hash: Buffer };

/** What a dashboard session holds of the key it was opened with: the entry's name and keyFingerprint(). */
export type SessionKey = { keyName: string; keyFingerprint: string };

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * A dashboard session's proof of which key opened it: a digest of the entry's configured hash
 * (never the key, nor the hash itself, which is what SLUICE_API_KEYS holds). A key rotated under
 * the same name has another hash, so the sessions the old key opened no longer match.
 */
function keyFingerprint(hash: Buffer): string {
  return createHash('sha256').update('sluice-ui-session\0').update(hash).digest('base64url');
}

/** The SLUICE_API_KEYS entry for a key; the CLI prints it when minting a key. Checked as start-up would check it. */
export function formatApiKeyEntry(name: string, scopes: readonly (Scope | string)[], key: string): string {
  if (scopes.length === 0) throw new ConfigError('an API key needs at least one scope');
  if (key.length < 16) throw new ConfigError('an API key must be at least 16 characters');
  const entry = `${name}:${[...new Set(scopes)].join('+')}:${hashApiKey(key)}`;
  parseApiKeys([entry]);
  return entry;
}

/** A new random key (256 bits, URL-safe). */
export function newApiKey(): string {
  return `sk_${randomBytes(32).toString('base64url')}`;
}

/** "scope+scope" as settings write scopes; an unknown one stops start-up, naming `where`. */
export function parseScopes(text: string, where: string): Set<Scope> {
  const scopes = new Set<Scope>();
  for (const scope of text.split('+')) {
    if (!(SCOPES as readonly string[]).includes(scope)) throw new ConfigError(`${where}: unknown scope "${scope}"; known: ${SCOPES.join(', ')}`);
    scopes.add(scope as Scope);
  }
  return scopes;
}

/** Parses SLUICE_API_KEYS entries; a malformed entry stops start-up, naming its position and name. */
export function parseApiKeys(entries: readonly string[]): KeyEntry[] {
  return entries.map((entry, index) => {
    // Scopes hold colons themselves ("jobs:read"): the name ends at the first, the hash starts after the last.
    const first = entry.indexOf(':');
    const last = entry.lastIndexOf(':');
    const where = `SLUICE_API_KEYS entry ${index + 1}`;
    if (first < 0 || last <= first) throw new ConfigError(`${where}: expected "name:scope+scope:sha256hex"`);
    const name = entry.slice(0, first);
    const scopeText = entry.slice(first + 1, last);
    const hash = entry.slice(last + 1);
    if (!NAME_PATTERN.test(name)) throw new ConfigError(`${where}: the name must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    const scopes = parseScopes(scopeText, `${where} ("${name}")`);
    if (!HASH_PATTERN.test(hash.toLowerCase())) throw new ConfigError(`${where} ("${name}"): the third part must be the key's SHA-256 in hex (64 characters)`);
    return { name, scopes, hash: Buffer.from(hash.toLowerCase(), 'hex') };
  });
}

export class ApiKeyAuthenticator {
  private readonly entries: KeyEntry[];

  constructor(apiKeys: readonly string[]) {
    this.entries = parseApiKeys(apiKeys);
  }

  /** The entry whose hash matches the key; every entry is compared, in constant time. */
  private match(key: string): KeyEntry | undefined {
    const presented = Buffer.from(hashApiKey(key), 'hex');
    let found: KeyEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.hash) && !found) found = entry;
    }
    return found;
  }

  /** Who a presented key (a bearer key, a Basic password) is. */
  identify(key: string): Principal | undefined {
    const found = this.match(key);
    return found ? { name: found.name, scopes: found.scopes } : undefined;
  }

  /** For sign-in: the key's principal and what its session is to hold (never the key). */
  identifyForSession(key: string): { principal: Principal; session: SessionKey } | undefined {
    const found = this.match(key);
    if (!found) return undefined;
    return { principal: { name: found.name, scopes: found.scopes }, session: { keyName: found.name, keyFingerprint: keyFingerprint(found.hash) } };
  }

  /**
   * The key a session was opened with, as configured now: an entry of that name that still has
   * that hash. Its scopes are the current ones; a key removed, or replaced under the same name,
   * ends the session.
   */
  bySession(session: SessionKey): Principal | undefined {
    const found = this.entries.find((entry) => entry.name === session.keyName && keyFingerprint(entry.hash) === session.keyFingerprint);
    return found ? { name: found.name, scopes: found.scopes } : undefined;
  }

  /** The key of an `Authorization: Bearer <key>` header (or Basic with the key as password). */
  fromHeader(header: string | undefined, allowBasic = false): Principal | undefined {
    if (!header) return undefined;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer) return this.identify(bearer[1]!);
    const basic = allowBasic ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) return this.identify(decoded.slice(colon + 1));
    }
    return undefined;
  }
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has('admin') || principal.scopes.has(scope);
}
