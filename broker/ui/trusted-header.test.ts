// Who an auth proxy's header signs in: only on connections from the proxy's addresses, only a
// sane user name, with the configured scopes; bad settings stop start-up naming the setting.
import { describe, expect, it } from 'vitest';
import { TrustedHeaderAuth, type TrustedHeaderConfig } from './trusted-header.ts';

const settings = (overrides: Partial<TrustedHeaderConfig> = {}): TrustedHeaderConfig => ({
  SLUICE_UI_TRUSTED_HEADER: 'X-Forwarded-User',
  SLUICE_UI_TRUSTED_PROXIES: ['127.0.0.1', '::1'],
  SLUICE_UI_TRUSTED_SCOPES: 'jobs:read',
  SLUICE_UI_TRUSTED_USERS: [],
  ...overrides,
});
const request = (user: string | undefined, peer: string | undefined) => ({
  header: (name: string) => (name.toLowerCase() === 'x-forwarded-user' ? user : undefined),
  peer,
});

describe('TrustedHeaderAuth', () => {
  it('is off unless SLUICE_UI_TRUSTED_HEADER names a header', () => {
    expect(TrustedHeaderAuth.fromConfig(settings({ SLUICE_UI_TRUSTED_HEADER: undefined }))).toBeUndefined();
    expect(TrustedHeaderAuth.fromConfig(settings({ SLUICE_UI_TRUSTED_HEADER: '  ' }))).toBeUndefined();
  });

  it('believes the header only from the proxy addresses (IPv4-mapped too), giving the default scopes', () => {
    const trusted = TrustedHeaderAuth.fromConfig(settings())!;
    expect(trusted.principalOf(request('alice@example.com', '127.0.0.1'))).toEqual({ name: 'proxy:alice@example.com', scopes: new Set(['jobs:read']) });
    expect(trusted.principalOf(request('alice', '::ffff:127.0.0.1'))?.name).toBe('proxy:alice');
    expect(trusted.principalOf(request('alice', '::1'))?.name).toBe('proxy:alice');
    expect(trusted.principalOf(request('alice', '10.0.0.7'))).toBeUndefined();
    expect(trusted.principalOf(request('alice', undefined))).toBeUndefined();
  });

  it('ignores a missing, empty or odd user name', () => {
    const trusted = TrustedHeaderAuth.fromConfig(settings())!;
    for (const user of [undefined, '', '  ', 'alice smith', 'x'.repeat(201), 'bob\u00e9']) {
      expect(trusted.principalOf(request(user, '127.0.0.1')), String(user)).toBeUndefined();
    }
  });

  it('gives users named in SLUICE_UI_TRUSTED_USERS their own scopes', () => {
    const trusted = TrustedHeaderAuth.fromConfig(settings({ SLUICE_UI_TRUSTED_USERS: ['oncall@example.com=admin', 'etl=jobs:read+jobs:write'] }))!;
    expect(trusted.principalOf(request('oncall@example.com', '127.0.0.1'))?.scopes).toEqual(new Set(['admin']));
    expect(trusted.principalOf(request('etl', '127.0.0.1'))?.scopes).toEqual(new Set(['jobs:read', 'jobs:write']));
    expect(trusted.principalOf(request('someone', '127.0.0.1'))?.scopes).toEqual(new Set(['jobs:read']));
  });

  it.each([
    [{ SLUICE_UI_TRUSTED_HEADER: 'X Forwarded User' }, /SLUICE_UI_TRUSTED_HEADER: a header name/],
    [{ SLUICE_UI_TRUSTED_PROXIES: [] }, /SLUICE_UI_TRUSTED_PROXIES: name the addresses/],
    [{ SLUICE_UI_TRUSTED_PROXIES: ['proxy.internal'] }, /SLUICE_UI_TRUSTED_PROXIES: "proxy.internal" is not an IP address/],
    [{ SLUICE_UI_TRUSTED_SCOPES: 'jobs:read+root' }, /SLUICE_UI_TRUSTED_SCOPES: unknown scope "root"/],
    [{ SLUICE_UI_TRUSTED_USERS: ['alice'] }, /SLUICE_UI_TRUSTED_USERS entry 1: expected "user=scope\+scope"/],
    [{ SLUICE_UI_TRUSTED_USERS: ['alice=jobs:read', 'bob=everything'] }, /SLUICE_UI_TRUSTED_USERS entry 2 \("bob"\): unknown scope "everything"/],
  ])('refuses %o, naming the setting', (overrides, message) => {
    expect(() => TrustedHeaderAuth.fromConfig(settings(overrides))).toThrow(message);
  });
});
