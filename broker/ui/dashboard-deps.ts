// What the composition root passes to createApi to serve the dashboard: sessions on the API's
// request-path Redis connection (so sign-in answers 503 rather than hanging while Redis is
// away), under the queue prefix, with the configured expiry.
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { BrowserSessions } from './browser-session.ts';
import { SessionStore } from './session-store.ts';
import { TrustedHeaderAuth, type TrustedHeaderConfig } from './trusted-header.ts';
import type { UiDeps } from './ui-routes.ts';

type UiConfig = Pick<Config, 'SLUICE_QUEUE_PREFIX' | 'SLUICE_UI_SESSION_TTL' | 'SLUICE_UI_TRUST_PROXY' | 'SLUICE_UI_DIR'> & TrustedHeaderConfig;

export function dashboardDeps(apiRedis: Redis, config: UiConfig): UiDeps {
  const store = new SessionStore(apiRedis, config.SLUICE_QUEUE_PREFIX, config.SLUICE_UI_SESSION_TTL);
  return { sessions: new BrowserSessions(store, config.SLUICE_UI_TRUST_PROXY), dir: config.SLUICE_UI_DIR, trusted: TrustedHeaderAuth.fromConfig(config) };
}
