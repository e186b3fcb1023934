// Reads SQL Server and connection errors into failure classes: by the server's error number
// (sys.messages) when the server spoke, else by the driver's code.
//
// mssql wraps tedious, and tedious wraps Node's socket errors, so the telling part can sit a
// few levels down: a RequestError (code EREQUEST, `number` from the server, earlier server
// errors of the same batch in `precedingErrors`) whose `originalError` is tedious's error; a
// ConnectionError (ELOGIN, ETIMEOUT, ESOCKET, ...) whose `originalError` is tedious's, whose
// `cause` is the socket's (ECONNREFUSED, ENOTFOUND, ...); a TransactionError (EABORT) whose
// `originalError` is the request error that made the server roll back. The reader walks
// that chain (and an AggregateError's `errors`).
import { DUPLICATE_KEYS_HINT, type ErrorReading } from '../sink-error.ts';
import { APPLOCK_DEADLOCK, APPLOCK_NOT_GRANTED } from './sqlserver-sql.ts';

/**
 * The same load may succeed at once: deadlock victim, lock request timeout, and Azure SQL's
 * failover and throttling errors (https://learn.microsoft.com/azure/azure-sql/database/troubleshoot-common-errors-issues).
 */
const TRANSIENT_NUMBERS = new Set([1205, 1222, 4221, 10928, 10929, 40197, 40501, 40613, 49918, 49919, 49920, APPLOCK_DEADLOCK, APPLOCK_NOT_GRANTED]);
/** Login refused, database missing or unavailable: a later attempt may succeed, an immediate retry will not. */
const PLATFORM_NUMBERS = new Set([18456, 4060, 18452, 18486, 18487, 18488]);
/**
 * The run's values do not fit the table: conversion failed (245, 8114), arithmetic overflow
 * (8115, 220, 232), string or binary data truncated (8152, 2628), NULL into a NOT NULL column (515).
 */
const DATA_NUMBERS = new Set([245, 8114, 8115, 8152, 2628, 220, 232, 515]);
/** MERGE matched one target row with two source rows (8672), or two new rows share a key (2627, 2601). */
const DUPLICATE_KEY_NUMBERS = new Set([8672, 2627, 2601]);

/** Severity 20 and above ends the session (a KILL, a failover); 17 to 19 are the server's own resources or faults. */
const SESSION_ENDED = 20;
const SERVER_FAULT = 17;

/** The server or network refuses us while connecting: a later attempt may succeed, an immediate one will not. */
const PLATFORM_CODES = new Set(['ELOGIN', 'EINSTLOOKUP', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EENCRYPT', 'ETDS']);
/** The connection broke under a load (reset, closed, killed): a new connection may carry it. */
const TRANSIENT_CODES = new Set(['ESOCKET', 'ECONNRESET', 'ECONNCLOSED', 'ECLOSE', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EINVALIDSTATE', 'EABORT']);

type DriverError = {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  number?: unknown;
  class?: unknown;
  originalError?: unknown;
  precedingErrors?: unknown;
  info?: unknown;
  cause?: unknown;
  errors?: unknown;
};

const isObject = (value: unknown): value is DriverError => typeof value === 'object' && value !== null;

/** The error and those it wraps, outermost first. */
function chain(error: unknown): DriverError[] {
  const seen: DriverError[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.length < 12) {
    const next = queue.shift();
    if (!isObject(next) || seen.includes(next)) continue;
    seen.push(next);
    // AggregateError's `errors`: tedious's failed attempts at each address of a host.
    queue.push(next.originalError, next.info, next.cause, ...(Array.isArray(next.errors) ? next.errors : []));
  }
  return seen;
}

type ServerError = { number: number; message: string; severity: number | undefined };

const asServerError = (error: unknown): ServerError | undefined => {
  if (!isObject(error) || typeof error.number !== 'number' || !Number.isInteger(error.number) || error.number <= 0) return undefined;
  return { number: error.number, message: String(error.message ?? ''), severity: typeof error.class === 'number' ? error.class : undefined };
};

/**
 * The first error the server sent for the failed request: mssql returns the last one and puts
 * the earlier ones in `precedingErrors`; the first is the cause, later ones its consequences.
 */
function serverError(error: unknown): ServerError | undefined {
  for (const candidate of chain(error)) {
    const earlier = Array.isArray(candidate.precedingErrors) ? candidate.precedingErrors : [];
    for (const each of [...earlier, candidate]) {
      const found = asServerError(each);
      if (found) return found;
    }
  }
  return undefined;
}

export function readSqlServerError(error: unknown): ErrorReading | undefined {
  if (!isObject(error)) return undefined;
  const server = serverError(error);
  if (server) return readServerError(server);

  const errors = chain(error);
  const codes = new Set(errors.map((each) => each.code).filter((code): code is string => typeof code === 'string'));
  const names = new Set(errors.map((each) => each.name));
  const outer = errors[0]!;
  const message = `SQL Server connection: ${String(outer.message ?? '')}`;
  // tedious says "Failed to connect to <host>:<port> - <reason>" (or "... in <n>ms") for
  // whatever stopped the connection being made: refused, unknown host, TLS, time.
  const connecting = errors.some((each) => typeof each.message === 'string' && each.message.startsWith('Failed to connect to'));

  if (connecting || [...codes].some((code) => PLATFORM_CODES.has(code))) return { failureClass: 'platform', transient: false, message };
  if (codes.has('ETIMEOUT')) {
    // A request that ran past its time (tedious sent the server an attention) is the load's
    // timeout; a connection that could not be opened in time is the platform's.
    return names.has('ConnectionError') ? { failureClass: 'platform', transient: false, message } : { failureClass: 'timeout', transient: false, message };
  }
  if (codes.has('ECANCEL')) return { failureClass: 'timeout', transient: false, message };
  if ([...codes].some((code) => TRANSIENT_CODES.has(code))) return { failureClass: 'platform', transient: true, message };
  // tarn's: no connection came free from the pool in time.
  if (names.has('TimeoutError')) return { failureClass: 'platform', transient: false, message };
  return undefined;
}

function readServerError({ number, message: text, severity }: ServerError): ErrorReading {
  const message = `SQL Server ${number}: ${text}`;
  if (TRANSIENT_NUMBERS.has(number)) return { failureClass: 'platform', transient: true, message };
  if (PLATFORM_NUMBERS.has(number)) return { failureClass: 'platform', transient: false, message };
  if (DUPLICATE_KEY_NUMBERS.has(number)) return { failureClass: 'user', transient: false, message: `${message}; ${DUPLICATE_KEYS_HINT}` };
  if (DATA_NUMBERS.has(number)) return { failureClass: 'data', transient: false, message };
  if (severity !== undefined && severity >= SESSION_ENDED) return { failureClass: 'platform', transient: true, message };
  if (severity !== undefined && severity >= SERVER_FAULT) return { failureClass: 'platform', transient: false, message };
  return { failureClass: 'user', transient: false, message };
}
