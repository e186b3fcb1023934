// The dashboard's side of the HTTP server (docs/adr/0018-ops-dashboard.md):
//   GET  /ui, /ui/*          the built single-page app (index.html for every page path)
//   GET  /ui/assets/<file>   its hashed JS and CSS, cached for good
//   POST /ui/session         sign in: {apiKey} → a session cookie (the key goes no further)
//   GET  /ui/session         who the cookie signs in as: {name, scopes}, so the page can hide what the key may not do
//   DELETE /ui/session       sign out: the session is deleted and the cookie cleared
// Everything the page shows or does goes through the public /v1 routes; these routes only
// serve files and hold the session. None is in the OpenAPI document: they are not an API.
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Context, Hono } from 'hono';
import type { ApiEnv } from '../api/api-env.ts';
import type { ApiKeyAuthenticator } from '../api/api-keys.ts';
import { problem } from '../api/problem.ts';
import { sessionIdOf, type BrowserSessions } from './browser-session.ts';
import { PROXY_PREFIX, type TrustedHeaderAuth } from './trusted-header.ts';

export const UI_PATH = '/ui';

export type UiDeps = {
  sessions: BrowserSessions;
  /** Users signed in by an auth proxy's header (SLUICE_UI_TRUSTED_HEADER), when configured. */
  trusted?: TrustedHeaderAuth | undefined;
  /** The folder `npm run build:ui` writes (SLUICE_UI_DIR). */
  dir: string;
};

/**
 * Strict: only this origin's scripts, styles and connections; no inline script or style, no
 * eval, no framing (clickjacking), no plugins, forms post only here.
 */
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': UI_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

// Said instead of a stack trace when the build is missing: the one thing to do is named.
const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sluice dashboard not built</title></head>
<body><main><h1>The Sluice dashboard has not been built</h1>
<p>This Sluice serves the dashboard from files built at set-up, and they are missing here.
Run <code>make setup</code> (or <code>npm run build:ui</code>) where Sluice is installed, then reload this page.</p>
<p>The API itself works: see <a href="/docs">/docs</a>.</p></main></body></html>
`;

const ASSET_NAME = /^[A-Za-z0-9._-]{1,200}$/;

const isKeyBody = (value: unknown): value is { apiKey: string } =>
  typeof value === 'object' && value !== null && typeof (value as { apiKey?: unknown }).apiKey === 'string';

export function mountUi(app: Hono<ApiEnv>, deps: UiDeps, auth: ApiKeyAuthenticator): void {
  const { sessions } = deps;
  // index.html once read (it names the hashed assets of the build it belongs to); a missing
  // build is looked for again on each request, so building while Sluice runs is enough.
  let index: Promise<string> | undefined;
  const indexHtml = (): Promise<string> => {
    index ??= readFile(join(deps.dir, 'index.html'), 'utf8');
    index.catch(() => (index = undefined));
    return index;
  };
  const browser = (c: Context<ApiEnv>) => ({ url: c.req.url, method: c.req.method, header: (name: string) => c.req.header(name) });

  app.use(`${UI_PATH}/*`, async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });
  app.use(UI_PATH, async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });

  app.post(`${UI_PATH}/session`, async (c) => {
    // Login CSRF: a foreign page must not sign this browser in under another key either.
    if (!sessions.sameOrigin(browser(c))) return problem(c, 403, 'cross-origin', 'sign in from a Sluice page of this origin');
    const body: unknown = await c.req.json().catch(() => undefined);
    if (!isKeyBody(body) || body.apiKey.trim() === '') return problem(c, 422, 'validation-failed', 'send {"apiKey": "<key>"}', [{ path: 'apiKey', message: 'required' }]);
    const key = auth.identifyForSession(body.apiKey.trim());
    if (!key) {
      c.get('log').info({}, 'dashboard sign-in refused');
      return problem(c, 401, 'unauthorized', 'that API key is not valid');
    }
    const { principal } = key;
    const id = await sessions.store.create(key.session);
    c.get('log').info({ keyName: principal.name }, 'dashboard sign-in');
    c.header('Set-Cookie', sessions.cookie(browser(c), id));
    c.header('Cache-Control', 'no-store');
    return c.json({ name: principal.name, scopes: [...principal.scopes] }, 201);
  });

  app.get(`${UI_PATH}/session`, (c) => {
    const principal = c.get('principal');
    c.header('Cache-Control', 'no-store');
    if (!principal) {
      return problem(c, 401, 'unauthorized', sessionIdOf(c.req.header('Cookie')) ? 'the dashboard session has expired or was ended: sign in again' : 'not signed in');
    }
    // `proxy`: signed in by the auth proxy's header, so signing out is the proxy's business.
    return c.json({ name: principal.name, scopes: [...principal.scopes], ...(principal.name.startsWith(PROXY_PREFIX) ? { proxy: true } : {}) }, 200);
  });

  app.delete(`${UI_PATH}/session`, async (c) => {
    // A cross-origin sign-out with a live session was already refused by authenticate().
    // When the session cannot be deleted (Redis away) the error handler answers 503 and the
    // cookie is kept: clearing it would look like a sign-out while the id still opens the API.
    const id = sessionIdOf(c.req.header('Cookie'));
    if (id !== undefined) await sessions.store.delete(id);
    c.header('Set-Cookie', sessions.clearedCookie(browser(c)));
    return c.body(null, 204);
  });

  app.get(UI_PATH, (c) => c.redirect(`${UI_PATH}/`, 302));

  app.get(`${UI_PATH}/assets/:file`, async (c) => {
    const file = c.req.param('file');
    const type = TYPES[extname(file)];
    if (!ASSET_NAME.test(file) || !type) return c.notFound();
    const bytes = await readFile(join(deps.dir, 'assets', file)).catch(() => undefined);
    if (!bytes) return c.notFound();
    // Hashed names: a new build has new names, so a file can be cached for good.
    return c.body(new Uint8Array(bytes), 200, { 'Content-Type': type, 'Cache-Control': 'public, max-age=31536000, immutable' });
  });

  // Every other path under /ui is a page of the app: the same index.html, which routes in the browser.
  app.get(`${UI_PATH}/*`, async (c) => {
    const html = await indexHtml().catch(() => undefined);
    if (html === undefined) return c.html(NOT_BUILT_PAGE, 503, { 'Cache-Control': 'no-store', 'Retry-After': '60' });
    return c.html(html, 200, { 'Cache-Control': 'no-cache' });
  });
}
