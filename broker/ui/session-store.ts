// Dashboard sessions in Redis: an API key presented once at sign-in is exchanged for a random
// session id, which the browser holds in an HttpOnly cookie (docs/adr/0018-ops-dashboard.md).
//
// Key: <prefix>:ui:session:<sha256 of the id>
//   (string, JSON {keyName, keyFingerprint, createdAt}, expires with PX)
// Only the id's hash is stored, so a copy of Redis holds nothing a browser could present; and
// of the key only its name and a fingerprint of its configured hash, never the key: each
// request resolves them against the keys configured now, so removing a key from
// SLUICE_API_KEYS, or replacing it under the same name, ends its sessions at the next restart,
// and a key's scopes are always the current ones.
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SessionKey } from '../api/api-keys.ts';

export type Session = SessionKey & { createdAt: string };

/** 256 bits, URL-safe: what the cookie carries. */
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly ttlMs: number,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:ui:session:${createHash('sha256').update(id, 'utf8').digest('hex')}`;
  }

  /** A new session for the key; returns the id to put in the cookie. */
  async create(key: SessionKey, now = new Date()): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { keyName: key.keyName, keyFingerprint: key.keyFingerprint, createdAt: now.toISOString() };
    await this.redis.set(this.key(id), JSON.stringify(session), 'PX', this.ttlMs);
    return id;
  }

  /**
   * The session, while it lives; a malformed id is not looked up at all. A session stored before
   * sessions held the key's fingerprint cannot say which key opened it, so it counts as ended
   * (its person signs in again once).
   */
  async get(id: string): Promise<Session | undefined> {
    if (!ID_PATTERN.test(id)) return undefined;
    const text = await this.redis.get(this.key(id));
    if (text === null) return undefined;
    try {
      const { keyName, keyFingerprint, createdAt } = JSON.parse(text) as Partial<Session>;
      return typeof keyName === 'string' && typeof keyFingerprint === 'string' && typeof createdAt === 'string' ? { keyName, keyFingerprint, createdAt } : undefined;
    } catch {
      return undefined;
    }
  }

  async delete(id: string): Promise<void> {
    if (ID_PATTERN.test(id)) await this.redis.del(this.key(id));
  }
}
