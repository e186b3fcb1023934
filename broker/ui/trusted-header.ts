// Sign-in by an auth proxy in front of Sluice (SLUICE_UI_TRUSTED_HEADER): deployments that put
// the dashboard behind their single sign-on (oauth2-proxy, an ingress with external auth) have
// the proxy name the signed-in user in a request header, and Sluice believes it instead of
// asking for an API key.
//
// The risk: whoever can reach Sluice without passing through the proxy can send that header
// and be anyone. So the header is believed only on connections from the proxy's own addresses
// (SLUICE_UI_TRUSTED_PROXIES, loopback by default: a proxy running beside Sluice in its pod),
// never from anywhere else; a bearer key or a session cookie still wins over it; and, as with
// the cookie, a request that changes something must come from a page of Sluice's own origin
// (the proxy's cookie is as ambient as ours). The user gets SLUICE_UI_TRUSTED_SCOPES (read-only
// by default) unless SLUICE_UI_TRUSTED_USERS names them.
import { isIP } from 'node:net';
import { ConfigError } from '../core/errors.ts';
import { parseScopes, type Principal, type Scope } from '../api/api-keys.ts';

export type TrustedHeaderConfig = {
  SLUICE_UI_TRUSTED_HEADER?: string | undefined;
  SLUICE_UI_TRUSTED_PROXIES: string[];
  SLUICE_UI_TRUSTED_SCOPES: string;
  SLUICE_UI_TRUSTED_USERS: string[];
};

const HEADER_NAME = /^[A-Za-z0-9-]{1,100}$/;
/** What a proxy may send as a user: printable, no spaces (user names and e-mail addresses). */
const USER_NAME = /^[\x21-\x7e]{1,200}$/;
/** Principals signed in by the proxy are named apart from API keys, in logs and in "who retried". */
export const PROXY_PREFIX = 'proxy:';

/** An IPv4 peer may show as IPv4-mapped IPv6 on a dual-stack socket. */
const plainAddress = (address: string): string => (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address);

export class TrustedHeaderAuth {
  private constructor(
    readonly header: string,
    private readonly proxies: ReadonlySet<string>,
    private readonly defaultScopes: ReadonlySet<Scope>,
    private readonly users: ReadonlyMap<string, ReadonlySet<Scope>>,
  ) {}

  /** The settings parsed; undefined when SLUICE_UI_TRUSTED_HEADER is not set. A bad setting stops start-up, naming it. */
  static fromConfig(config: TrustedHeaderConfig): TrustedHeaderAuth | undefined {
    const header = config.SLUICE_UI_TRUSTED_HEADER?.trim();
    if (!header) return undefined;
    if (!HEADER_NAME.test(header)) throw new ConfigError('SLUICE_UI_TRUSTED_HEADER: a header name (letters, digits and -), e.g. X-Forwarded-User');
    if (config.SLUICE_UI_TRUSTED_PROXIES.length === 0) throw new ConfigError('SLUICE_UI_TRUSTED_PROXIES: name the addresses the auth proxy connects from (default 127.0.0.1,::1)');
    for (const address of config.SLUICE_UI_TRUSTED_PROXIES) {
      if (isIP(address) === 0) throw new ConfigError(`SLUICE_UI_TRUSTED_PROXIES: "${address}" is not an IP address (list the proxy's addresses, comma-separated)`);
    }
    const defaultScopes = parseScopes(config.SLUICE_UI_TRUSTED_SCOPES, 'SLUICE_UI_TRUSTED_SCOPES');
    const users = new Map<string, Set<Scope>>();
    for (const [index, entry] of config.SLUICE_UI_TRUSTED_USERS.entries()) {
      const where = `SLUICE_UI_TRUSTED_USERS entry ${index + 1}`;
      const eq = entry.lastIndexOf('=');
      const user = entry.slice(0, eq);
      if (eq < 1 || !USER_NAME.test(user)) throw new ConfigError(`${where}: expected "user=scope+scope", e.g. alice@example.com=admin`);
      users.set(user, parseScopes(entry.slice(eq + 1), `${where} ("${user}")`));
    }
    return new TrustedHeaderAuth(header, new Set(config.SLUICE_UI_TRUSTED_PROXIES.map(plainAddress)), defaultScopes, users);
  }

  /** Who the proxy says the caller is; undefined unless the connection comes from a trusted proxy and names a valid user. */
  principalOf(request: { header(name: string): string | undefined; peer: string | undefined }): Principal | undefined {
    if (request.peer === undefined || !this.proxies.has(plainAddress(request.peer))) return undefined;
    const user = request.header(this.header)?.trim();
    if (!user || !USER_NAME.test(user)) return undefined;
    return { name: `${PROXY_PREFIX}${user}`, scopes: this.users.get(user) ?? this.defaultScopes };
  }
}
