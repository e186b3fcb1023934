// Who calls the API, and what a route demands of them: the bearer key (api-keys.ts), or the
// dashboard's session cookie or an auth proxy's header; routes then demand a scope. The key
// is never logged or echoed; the entry's name is what logs show.
import type { Context, MiddlewareHandler } from 'hono';
import { hasScope, type ApiKeyAuthenticator, type Scope } from './api-keys.ts';
import { sessionIdOf, UNSAFE_METHODS, type BrowserSessions } from '../ui/browser-session.ts';
import type { TrustedHeaderAuth } from '../ui/trusted-header.ts';
import type { ApiEnv } from './api-env.ts';
import { problem, problemResponse } from './problem.ts';

/** The name of the security scheme in the OpenAPI document. */
export const BEARER_SCHEME = 'bearerAuth';

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
        (session ? auth.bySession(session) : undefined) ?? trusted?.principalOf({ header: (name) => c.req.header(name), peer: peerAddress(c) });
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
