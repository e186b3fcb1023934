// Errors built the way mssql 12 and tedious 19 build them (mssql/lib/tedious/request.js,
// transaction.js, connection-pool.js; tedious/lib/connection.js), read by the dialect.
import sql from 'mssql';
import { ConnectionError as TdsConnectionError, RequestError as TdsRequestError } from 'tedious';
import { describe, expect, it } from 'vitest';
import { readSqlServerError } from './sqlserver-errors.ts';

/** A server error as mssql reports it: the errorMessage token, wrapped in a RequestError. */
function serverError(number: number, message: string, severity = 16): sql.RequestError {
  const token = Object.assign(new Error(message), { info: { number, message, class: severity, state: 1, serverName: 'db1', procName: '', lineNumber: 1 } });
  return new sql.RequestError(token, 'EREQUEST');
}

const socketError = (code: string, message: string) => Object.assign(new Error(message), { code });
/** A connection that could not be made, as the pool hands it on: mssql's ConnectionError around tedious's. */
const connectFailure = (message: string, code: string, cause?: Error) => new sql.ConnectionError(new TdsConnectionError(message, code, cause ? { cause } : undefined));
/** tedious's own error as a request callback receives it, wrapped by mssql's request. */
const requestFailure = (error: Error) => new sql.RequestError(error, 'EREQUEST');

describe('server errors', () => {
  it('retries a deadlock victim, a lock timeout and Azure failover or throttling within the stage', () => {
    for (const number of [1205, 1222, 40197, 40501, 40613, 49918, 49919, 49920, 4221, 10928, 10929]) {
      expect(readSqlServerError(serverError(number, 'try again')), String(number)).toEqual({ failureClass: 'platform', transient: true, message: `SQL Server ${number}: try again` });
    }
  });

  it('retries when the application lock was not granted or its wait was chosen as a deadlock victim', () => {
    expect(readSqlServerError(serverError(51205, 'sp_getapplock: chosen as deadlock victim'))?.transient).toBe(true);
    expect(readSqlServerError(serverError(51222, 'sp_getapplock: the lock was not granted'))?.transient).toBe(true);
  });

  it('sees the deadlock behind the transaction mssql reports as aborted', () => {
    const aborted = new sql.TransactionError('Transaction has been aborted.', 'EABORT');
    Object.defineProperty(aborted, 'originalError', { enumerable: true, value: serverError(1205, 'Transaction (Process ID 61) was deadlocked') });
    expect(readSqlServerError(aborted)).toEqual({ failureClass: 'platform', transient: true, message: 'SQL Server 1205: Transaction (Process ID 61) was deadlocked' });
  });

  it('fails login and database errors as the platform\'s, without retrying at once', () => {
    expect(readSqlServerError(serverError(18456, "Login failed for user 'loader'.", 14))).toMatchObject({ failureClass: 'platform', transient: false });
    expect(readSqlServerError(serverError(4060, 'Cannot open database "reports" requested by the login.', 11))).toMatchObject({ failureClass: 'platform', transient: false });
  });

  it('fails a MERGE that met a target row twice as the pipeline\'s, saying why', () => {
    const reading = readSqlServerError(serverError(8672, 'The MERGE statement attempted to UPDATE or DELETE the same row more than once.'));
    expect(reading?.failureClass).toBe('user');
    expect(reading?.message).toMatch(/^SQL Server 8672: The MERGE statement .*; the run may hold more than one row for the same key$/);
  });

  it('fails values the table cannot hold as the data\'s', () => {
    for (const number of [8115, 8152, 2628, 245, 8114, 220, 515]) {
      expect(readSqlServerError(serverError(number, 'does not fit'))?.failureClass, String(number)).toBe('data');
    }
  });

  it('fails any other server error as the pipeline\'s with the server\'s own words', () => {
    expect(readSqlServerError(serverError(208, "Invalid object name 'dbo.Missing'."))).toEqual({
      failureClass: 'user',
      transient: false,
      message: "SQL Server 208: Invalid object name 'dbo.Missing'.",
    });
    expect(readSqlServerError(serverError(262, 'CREATE TABLE permission denied in database \'reports\'.', 14))?.failureClass).toBe('user');
  });

  it('reads the first error of a batch, the cause, not the ones that followed it', () => {
    const last = Object.assign(serverError(3621, 'The statement has been terminated.'), {
      precedingErrors: [serverError(2628, "String or binary data would be truncated in table 'dbo.T', column 'name'.")],
    });
    expect(readSqlServerError(last)?.message).toMatch(/^SQL Server 2628: String or binary data would be truncated/);
    expect(readSqlServerError(last)?.failureClass).toBe('data');
  });

  it('retries when the server ended the session (severity 20 and up), not when it ran out of resources (17 to 19)', () => {
    expect(readSqlServerError(serverError(596, 'Cannot continue the execution because the session is in the kill state.', 21))).toMatchObject({ failureClass: 'platform', transient: true });
    expect(readSqlServerError(serverError(9002, "The transaction log for database 'reports' is full.", 17))).toMatchObject({ failureClass: 'platform', transient: false });
  });
});

describe('connection errors', () => {
  it('fails a wrong password or an unknown database (tedious: ELOGIN) as the platform\'s, not retried at once', () => {
    for (const message of ["Login failed for user 'loader'.", 'Cannot open database "nope" requested by the login. The login failed.']) {
      expect(readSqlServerError(connectFailure(message, 'ELOGIN'))).toEqual({ failureClass: 'platform', transient: false, message: `SQL Server connection: ${message}` });
    }
  });

  it('fails a refused connection, an unknown host, a failed TLS handshake and a connect timeout as the platform\'s', () => {
    const failures = [
      connectFailure('Failed to connect to 127.0.0.1:1433 - connect ECONNREFUSED 127.0.0.1:1433', 'ESOCKET', socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1433')),
      connectFailure('Failed to connect to nowhere.invalid:1433 - getaddrinfo ENOTFOUND nowhere.invalid', 'ESOCKET', socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.invalid')),
      connectFailure('Failed to connect to db1:1433 - self-signed certificate', 'ESOCKET', socketError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate')),
      connectFailure('Failed to connect to db1:1433 in 15000ms', 'ETIMEOUT'),
      connectFailure('Port for SQLEXPRESS not found in db1', 'EINSTLOOKUP'),
    ];
    for (const failure of failures) expect(readSqlServerError(failure), failure.message).toMatchObject({ failureClass: 'platform', transient: false });
  });

  it('retries a connection lost under a load: reset, closed, or already dead when the next request came', () => {
    const lost = [
      // The request callback gets the socket's own error (code kept by mssql).
      requestFailure(socketError('ECONNRESET', 'read ECONNRESET')),
      // The connection's 'error' event: mssql wraps it as the `info` of a plain Error.
      new sql.RequestError(Object.assign(new Error('Connection lost - socket hang up'), { info: new TdsConnectionError('Connection lost - socket hang up', 'ESOCKET') }), 'EREQUEST'),
      requestFailure(new TdsRequestError('Connection closed before request completed.', 'ECLOSE')),
      requestFailure(new TdsRequestError('Requests can only be made in the LoggedIn state, not the Final state', 'EINVALIDSTATE')),
      new sql.ConnectionError('Connection is closed.', 'ECONNCLOSED'),
    ];
    for (const failure of lost) expect(readSqlServerError(failure), failure.message).toMatchObject({ failureClass: 'platform', transient: true });
  });

  it('retries a transaction the server rolled back for a reason it did not say', () => {
    const aborted = new sql.TransactionError('Transaction has been aborted.', 'EABORT');
    Object.defineProperty(aborted, 'originalError', { enumerable: true, value: new Error('Transaction was rolled back by the server') });
    expect(readSqlServerError(aborted)).toMatchObject({ failureClass: 'platform', transient: true });
  });

  it('fails a statement that ran past its time as a timeout', () => {
    const timedOut = requestFailure(new TdsRequestError('Timeout: Request failed to complete in 1500ms', 'ETIMEOUT'));
    expect(readSqlServerError(timedOut)).toEqual({ failureClass: 'timeout', transient: false, message: 'SQL Server connection: Timeout: Request failed to complete in 1500ms' });
  });

  it('fails a pool that gave out no connection in time as the platform\'s', () => {
    const timeout = Object.assign(new Error('Failed to acquire a connection from the pool: operation timed out for an unknown reason'), { name: 'TimeoutError' });
    expect(readSqlServerError(timeout)).toMatchObject({ failureClass: 'platform', transient: false });
  });
});

describe('bugs', () => {
  it('leaves errors that are neither the server\'s nor the connection\'s to be thrown as they are', () => {
    expect(readSqlServerError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeUndefined();
    expect(readSqlServerError(new sql.TransactionError("Can't acquire connection for the request. There is another request in progress.", 'EREQINPROG'))).toBeUndefined();
    expect(readSqlServerError(new sql.TransactionError('Transaction has not begun. Call begin() first.', 'ENOTBEGUN'))).toBeUndefined();
    expect(readSqlServerError(new sql.RequestError("Invalid column name 'a]b'.", 'EINJECT'))).toBeUndefined();
    expect(readSqlServerError('a string')).toBeUndefined();
  });
});
