import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { ConfigError } from './core/errors.ts';
import { webhookSetting } from './notify/webhook-targets.ts';

const URL_WITH_TOKEN = 'https://hooks.example.com/services/T000/B000/XXXXsecretpath';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('SLUICE_WEBHOOK_<TARGET>_URL and _SECRET', () => {
  it('pairs each target URL with its secret, keyed by the setting stem a pipeline target maps to', () => {
    const config = loadConfig({
      SLUICE_WEBHOOK_OPS_URL: 'http://127.0.0.1:9000/hook',
      SLUICE_WEBHOOK_OPS_SECRET: 's1',
      SLUICE_WEBHOOK_DATA_TEAM_URL: URL_WITH_TOKEN,
      SLUICE_WEBHOOK_DATA_TEAM_SECRET: 's2',
      SLUICE_WEBHOOK_LINK_BASE: 'https://sluice.example.com',
    });
    expect(config.webhooks).toEqual({
      SLUICE_WEBHOOK_OPS: { url: 'http://127.0.0.1:9000/hook', secret: 's1' },
      SLUICE_WEBHOOK_DATA_TEAM: { url: URL_WITH_TOKEN, secret: 's2' },
    });
    expect(config.webhooks[webhookSetting('data-team')]).toBeDefined();
    expect(config.SLUICE_WEBHOOK_LINK_BASE).toBe('https://sluice.example.com');
    expect(loadConfig({}).webhooks).toEqual({});
  });

  it('stops start-up on a half-set pair or a URL that is not http(s), naming the setting but never its value', () => {
    const message = configError({
      SLUICE_WEBHOOK_OPS_URL: URL_WITH_TOKEN,
      SLUICE_WEBHOOK_PAGER_SECRET: 'topsecret',
      SLUICE_WEBHOOK_FTP_URL: 'ftp://files.example.com/XXXXsecretpath',
      SLUICE_WEBHOOK_FTP_SECRET: 'topsecret',
    });
    expect(message).toContain('SLUICE_WEBHOOK_OPS_URL is set but SLUICE_WEBHOOK_OPS_SECRET is not');
    expect(message).toContain('SLUICE_WEBHOOK_PAGER_SECRET is set but SLUICE_WEBHOOK_PAGER_URL is not');
    expect(message).toContain('SLUICE_WEBHOOK_FTP_URL: must be an http:// or https:// URL');
    expect(message).not.toContain('XXXXsecretpath');
    expect(message).not.toContain('topsecret');
  });

  it('refuses a URL with user:password@ (fetch would refuse every attempt), naming the setting and the way out, never the URL', () => {
    for (const url of ['https://alerts:XXXXsecretpass@hooks.example.com/notify', 'https://XXXXsecrettoken@hooks.example.com/notify']) {
      const message = configError({ SLUICE_WEBHOOK_OPS_URL: url, SLUICE_WEBHOOK_OPS_SECRET: 'topsecret' });
      expect(message).toContain('SLUICE_WEBHOOK_OPS_URL: must not hold user:password@');
      expect(message).toContain("put the token in the URL's path or query, or rely on SLUICE_WEBHOOK_OPS_SECRET");
      expect(message).not.toContain('XXXXsecret');
      expect(message).not.toContain('topsecret');
    }
  });
});
