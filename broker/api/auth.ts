// Bearer API keys with scopes. SLUICE_API_KEYS holds entries "name:scope+scope:sha256hex":
// only the SHA-256 of each key is configured, the key itself is shown once when minted
// (`formatApiKeyEntry`). A presented key is hashed and compared with every entry in
// constant time. The key is never logged or echoed; the entry's name is what logs show.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { ConfigError } from '../core/errors.ts';
import { sessionIdOf, UNSAFE_METHODS, type BrowserSessions } from '../ui/browser-session.ts';
import type { TrustedHeaderAuth } from '../ui/trusted-header.ts';
import type { ApiEnv } from './api-env.ts';
import { problem, problemResponse } from './problem.ts';

export const SCOPES = ['jobs:read', 'jobs:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export type Principal = { name: string; scopes: ReadonlySet<Scope> };

type KeyEntry = Principal & { hash: Buffer };

/** The name of the security scheme in the OpenAPI document. */
export const BEARER_SCHEME = 'bearerAuth';

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
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
  identify(key: string): Principal | undefined {
    const presented = Buffer.from(hashApiKey(key), 'hex');
    let found: KeyEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.hash) && !found) found = entry;
    }
    return found ? { name: found.name, scopes: found.scopes } : undefined;
  }

  /** The configured key of that name (a dashboard session stores the name, never the key). */
  byName(name: string): Principal | undefined {
    const found = this.entries.find((entry) => entry.name === name);
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

/** The dashboard's own pages and files need no caller: no session is looked up for them. */
const isUiFile = (path: string): boolean => (path === '/ui' || path.startsWith('/ui/')) && path !== '/ui/session';

/**
 * Identifies the caller, for every request; routes then demand a scope. A bearer key wins;
 * without an Authorization header, the dashboard's session cookie stands for the key it was
 * opened with. A request the cookie authenticates that could change something must come
 * from a page of this origin, else it is refused here, before any route runs (CSRF).
 */
export function authenticate(auth: ApiKeyAuthenticator, sessions?: BrowserSessions, trusted?: TrustedHeaderAuth): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('Authorization');
    let principal = auth.fromHeader(header);
    // What the browser sends by itself (the dashboard's cookie, an auth proxy's header) counts
    // only without a bearer key, and never for the dashboard's own files.
    if (sessions && header === undefined && !isUiFile(c.req.path)) {
      const sessionId = sessionIdOf(c.req.header('Cookie'));
      const session = sessionId !== undefined ? await sessions.store.get(sessionId) : undefined;
      const browserPrincipal =
        (session ? auth.byName(session.keyName) : undefined) ?? trusted?.principalOf({ header: (name) => c.req.header(name), peer: peerAddress(c) });
      if (browserPrincipal) {
        principal = browserPrincipal;
        if (UNSAFE_METHODS.has(c.req.method) && !sessions.sameOrigin({ url: c.req.url, method: c.req.method, header: (name) => c.req.header(name) })) {
          c.get('log').warn({ keyName: browserPrincipal.name, origin: c.req.header('Origin') ?? null, method: c.req.method }, 'cross-origin request refused');
          return problem(
            c,
            403,
            'cross-origin',
            'a request that changes something, signed in by the dashboard cookie, must come from a Sluice page of this origin (Origin header); nothing was changed',
          );
        }
      }
    }
    c.set('principal', principal);
    await next();
  };
}

/** The TCP peer of the request (Node's server puts the IncomingMessage in the env); undefined in-process. */
function peerAddress(c: Context<ApiEnv>): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}

function denied(c: Context<ApiEnv>, scope: Scope, challenge: string): Response | undefined {
  const principal = c.get('principal');
  if (!principal) {
    const detail = c.req.header('Authorization')
      ? 'the API key is not valid'
      : sessionIdOf(c.req.header('Cookie')) !== undefined
        ? 'the dashboard session has expired or was ended: sign in again'
        : 'this route needs an API key (Authorization: Bearer <key>)';
    return problem(c, 401, 'unauthorized', detail, [], { 'WWW-Authenticate': challenge });
  }
  if (!hasScope(principal, scope)) {
    c.get('log').info({ keyName: principal.name, scope }, 'scope missing');
    return problem(c, 403, 'forbidden', `the API key "${principal.name}" lacks the scope "${scope}"`);
  }
  return undefined;
}

/** Route middleware: 401 without a valid key, 403 without the scope (admin implies every scope). */
export function requireScope(scope: Scope): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const refusal = denied(c, scope, 'Bearer realm="sluice"');
    if (refusal) return refusal;
    await next();
  };
}

/**
 * For the queue dashboard, a browser page: also takes HTTP Basic with the key as password
 * (any user name), and challenges with Basic so the browser asks for it.
 */
export function requireAdminForBrowser(auth: ApiKeyAuthenticator): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    c.set('principal', auth.fromHeader(c.req.header('Authorization'), true));
    const refusal = denied(c, 'admin', 'Basic realm="sluice"');
    if (refusal) return refusal;
    await next();
  };
}

/** What a route needing `scope` adds to its definition: the check and its OpenAPI description. */
export function protect<S extends Scope>(scope: S) {
  return {
    middleware: requireScope(scope),
    // OpenAPI 3.1 lets a non-OAuth requirement list roles: the scope the route needs.
    security: [{ [BEARER_SCHEME]: [scope] }],
  };
}

export const authResponses = {
  401: problemResponse('No API key, or one that is not valid.'),
  403: problemResponse('The API key lacks the scope this route needs.'),
} as const;
