// How a browser proves who it is to the API: the session cookie (an alternative to the bearer
// key, with the key's scopes) and, for requests that change something, that the page which
// sent them is Sluice's own (docs/adr/0018-ops-dashboard.md).
//
// SameSite=Strict already keeps the cookie off cross-site requests; the Origin check is the
// second lock, and the one that also holds for same-site neighbours (another app on a sibling
// host of the same registrable domain) and for browsers that ignore SameSite.
import type { SessionStore } from './session-store.ts';

export const SESSION_COOKIE = 'sluice_session';

/** Methods that may change something: these need a same-origin proof when the cookie authenticates them. */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The session id the request's Cookie header carries, if any. */
export function sessionIdOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export type BrowserRequest = { url: string; method: string; header(name: string): string | undefined };

export class BrowserSessions {
  constructor(
    readonly store: SessionStore,
    /** Believe X-Forwarded-Proto (SLUICE_UI_TRUST_PROXY): only when a proxy in front sets it. */
    private readonly trustProxy: boolean,
  ) {}

  /** Whether the browser reached Sluice over TLS: the socket itself, or a trusted proxy that says so. */
  overTls(request: BrowserRequest): boolean {
    if (new URL(request.url).protocol === 'https:') return true;
    if (!this.trustProxy) return false;
    const forwarded = request.header('X-Forwarded-Proto')?.split(',')[0]?.trim().toLowerCase();
    return forwarded === 'https';
  }

  /** The origin a page served by this Sluice has, as the browser sees it. */
  ownOrigin(request: BrowserRequest): string {
    return `${this.overTls(request) ? 'https' : 'http'}://${new URL(request.url).host}`;
  }

  /**
   * Whether the request comes from a page of this origin: its Origin header names it, or,
   * without one, the browser's Sec-Fetch-Site says same-origin. A request with neither is
   * refused: every browser that sends cookies sends one of the two on a POST.
   */
  sameOrigin(request: BrowserRequest): boolean {
    const origin = request.header('Origin');
    if (origin !== undefined) return origin === this.ownOrigin(request);
    return request.header('Sec-Fetch-Site') === 'same-origin';
  }

  /** Set-Cookie for a new session: never readable by scripts, never sent cross-site, Secure behind TLS. */
  cookie(request: BrowserRequest, id: string): string {
    const maxAge = Math.floor(this.store.ttlMs / 1000);
    return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${this.overTls(request) ? '; Secure' : ''}`;
  }

  /** Set-Cookie that makes the browser forget the session. */
  clearedCookie(request: BrowserRequest): string {
    return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${this.overTls(request) ? '; Secure' : ''}`;
  }
}
