// Reads PostgreSQL and socket errors into failure classes, by SQLSTATE
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
import { DUPLICATE_KEYS_HINT, type ErrorReading } from '../sink-error.ts';

/** Errors a fresh try of the same load may cure at once: retried within the stage. */
const TRANSIENT_STATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '55P03']);
const TRANSIENT_SOCKET = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** The server or network is away or refuses us: a later attempt may succeed, an immediate one will not. */
const PLATFORM_SOCKET = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const TRANSIENT_MESSAGES = [/connection terminated/i, /connection error/i, /not queryable/i];
const PLATFORM_MESSAGES = [/timeout exceeded when trying to connect/i];

type PgLikeError = Error & { code?: string; detail?: string; hint?: string; severity?: string; column?: string; where?: string };

/**
 * Which column (and staged row) a server error is about, when it says: a bad value found
 * while staging (a NUL in a string, a string too long for a DBA's varchar(n)) names neither
 * in its message, only in these fields. Only the place is taken from `where`, never a value.
 */
function placeOf(error: PgLikeError): string | undefined {
  const copy = /^COPY [^,]+, line (\d+), column ([^:\n]+)/.exec(error.where ?? '');
  if (copy) return `staged row ${copy[1]}, column ${copy[2]}`;
  return error.column ? `column ${error.column}` : undefined;
}

export function readPostgresError(error: unknown): ErrorReading | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, detail } = error as PgLikeError;
  const server = (error as PgLikeError).severity !== undefined && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
  if (server) {
    const place = placeOf(error as PgLikeError);
    const message = `PostgreSQL ${code}: ${error.message}${detail ? ` (${detail})` : ''}${place ? ` [${place}]` : ''}`;
    if (TRANSIENT_STATES.has(code)) return { failureClass: 'platform', transient: true, message };
    if (code.startsWith('08')) return { failureClass: 'platform', transient: true, message };
    if (code === '57014') return { failureClass: 'timeout', transient: false, message };
    // Login refused, database missing, resources out, server-side faults.
    if (/^(28|3D|53|54|57|58|XX)/.test(code)) return { failureClass: 'platform', transient: false, message };
    // MERGE touching a row twice, or two new rows with one key.
    if (code === '21000' || code === '23505') return { failureClass: 'user', transient: false, message: `${message}; ${DUPLICATE_KEYS_HINT}` };
    if (code.startsWith('22')) return { failureClass: 'data', transient: false, message };
    return { failureClass: 'user', transient: false, message };
  }
  const message = `PostgreSQL connection: ${error.message}`;
  if (code && TRANSIENT_SOCKET.has(code)) return { failureClass: 'platform', transient: true, message };
  if (code && PLATFORM_SOCKET.has(code)) return { failureClass: 'platform', transient: false, message };
  if (TRANSIENT_MESSAGES.some((pattern) => pattern.test(error.message))) return { failureClass: 'platform', transient: true, message };
  if (PLATFORM_MESSAGES.some((pattern) => pattern.test(error.message))) return { failureClass: 'platform', transient: false, message };
  return undefined;
}
