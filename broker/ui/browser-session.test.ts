// The cookie's flags and the same-origin rule, which decide whether a browser request that
// the session cookie authenticates may change anything.
import { describe, expect, it } from 'vitest';
import { BrowserSessions, sessionIdOf } from './browser-session.ts';
import type { SessionStore } from './session-store.ts';

const store = { ttlMs: 12 * 3_600_000 } as SessionStore;
const request = (url: string, headers: Record<string, string> = {}) => ({
  url,
  method: 'POST',
  header: (name: string) => Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1],
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, for the whole site, lasting the session', () => {
    const cookie = new BrowserSessions(store, false).cookie(request('http://sluice.internal:8080/ui/session'), 'abc');
    expect(cookie).toBe('sluice_session=abc; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict');
  });

  it('is Secure when the socket is TLS, or a trusted proxy says the browser used https', () => {
    expect(new BrowserSessions(store, false).cookie(request('https://sluice.internal/ui/session'), 'abc')).toMatch(/; Secure$/);
    expect(new BrowserSessions(store, true).cookie(request('http://sluice.internal/ui/session', { 'X-Forwarded-Proto': 'https' }), 'abc')).toMatch(/; Secure$/);
  });

  it('ignores X-Forwarded-Proto unless the proxy is trusted (anyone can send the header)', () => {
    expect(new BrowserSessions(store, false).cookie(request('http://sluice.internal/ui/session', { 'X-Forwarded-Proto': 'https' }), 'abc')).not.toMatch(/Secure/);
  });

  it('is found among other cookies, and not confused with a similar name', () => {
    expect(sessionIdOf('a=1; sluice_session=xyz; b=2')).toBe('xyz');
    expect(sessionIdOf('my_sluice_session=xyz')).toBeUndefined();
    expect(sessionIdOf(undefined)).toBeUndefined();
  });
});

describe('the same-origin rule', () => {
  const sessions = new BrowserSessions(store, true);
  const url = 'http://sluice.internal:8080/v1/jobs/j1/cancel';

  it('accepts the page of this origin, by Origin or by Sec-Fetch-Site', () => {
    expect(sessions.sameOrigin(request(url, { Origin: 'http://sluice.internal:8080' }))).toBe(true);
    expect(sessions.sameOrigin(request(url, { 'Sec-Fetch-Site': 'same-origin' }))).toBe(true);
  });

  it.each([
    [{ Origin: 'http://evil.example' }],
    [{ Origin: 'http://sluice.internal:8081' }],
    [{ Origin: 'null' }],
    // An Origin that is wrong is not rescued by a Sec-Fetch-Site that claims otherwise.
    [{ Origin: 'http://evil.example', 'Sec-Fetch-Site': 'same-origin' }],
    [{ 'Sec-Fetch-Site': 'same-site' }],
    [{}],
  ])('refuses %o', (headers) => {
    expect(sessions.sameOrigin(request(url, headers))).toBe(false);
  });

  it('behind a trusted TLS proxy, the origin is the https one the browser used', () => {
    const behindProxy = request('http://sluice.internal/v1/jobs/j1/cancel', { 'X-Forwarded-Proto': 'https', Origin: 'https://sluice.internal' });
    expect(sessions.sameOrigin(behindProxy)).toBe(true);
    expect(new BrowserSessions(store, false).sameOrigin(behindProxy)).toBe(false);
  });
});
