// Serving the built dashboard: a missing build is a clear 503 page (never a crash), every
// page carries the strict CSP, and only files of the build's assets folder are served.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { ApiEnv } from '../api/api-env.ts';
import { ApiKeyAuthenticator } from '../api/api-keys.ts';
import { notFoundHandler } from '../api/problem.ts';
import { BrowserSessions } from './browser-session.ts';
import type { SessionStore } from './session-store.ts';
import { mountUi, UI_CSP } from './ui-routes.ts';

function appOver(dir: string): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  // Serving files never touches the session store.
  mountUi(app, { dir, sessions: new BrowserSessions({ ttlMs: 1 } as SessionStore, false) }, new ApiKeyAuthenticator([]));
  app.notFound(notFoundHandler);
  return app;
}

describe('the dashboard files', () => {
  it('answer a 503 page naming `make setup` when the build is missing', async () => {
    const app = appOver(join(tmpdir(), 'sluice-ui-never-built'));
    const response = await app.request('/ui/jobs/j123');
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('make setup');
    expect(response.headers.get('content-security-policy')).toBe(UI_CSP);
  });

  it('serve index.html for every page path and the hashed assets, under the strict CSP', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-ui-test-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Sluice</title><script type="module" src="/ui/assets/index-1.js"></script>');
    await writeFile(join(dir, 'assets', 'index-1.js'), 'console.log(1)');
    const app = appOver(dir);

    expect((await app.request('/ui')).headers.get('location')).toBe('/ui/');
    for (const path of ['/ui/', '/ui/jobs', '/ui/jobs/j123']) {
      const page = await app.request(path);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Sluice</title>');
      expect(page.headers.get('content-security-policy')).toBe(UI_CSP);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
    }
    const script = await app.request('/ui/assets/index-1.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');

    for (const path of ['/ui/assets/..%2Findex.html', '/ui/assets/missing.js', '/ui/assets/index.html']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });

  it('forbid inline script and foreign origins in the CSP', () => {
    expect(UI_CSP).toContain("default-src 'self'");
    expect(UI_CSP).toContain("script-src 'self'");
    expect(UI_CSP).not.toContain('unsafe-inline');
    expect(UI_CSP).not.toContain('unsafe-eval');
    expect(UI_CSP).toContain("frame-ancestors 'none'");
  });
});
