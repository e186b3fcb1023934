// The API's Redis connection fails fast; the worker's waits (docs/adr/0014-request-path-timeouts.md).
//
// The worker's and BullMQ's connections wait out a Redis outage (maxRetriesPerRequest null),
// which is right for steps but wrong for a request: a submit would hang for the whole outage
// and its commands, held in ioredis's offline queue or re-sent after the reconnect, would
// create the job long after the client gave up. The API gets a connection of its own that
// never holds a command while Redis is away, never re-sends one after a reconnect, and gives
// up on one that gets no answer; such failures answer 503 (problem.ts) instead of 500.
// This module only describes that connection; the composition root opens it.
import type { RedisOptions } from 'ioredis';
import { causeChain } from '../core/failure-of.ts';

/** How long one Redis command on the request path may go unanswered. */
export const API_REDIS_COMMAND_TIMEOUT_MS = 1_000;

/** What a 503 for an unavailable Redis tells the client to wait before trying again (seconds). */
export const REDIS_RETRY_AFTER_SECONDS = 2;

/** The request path's variant of the worker's connection options (same server, credentials, TLS). */
export function requestPathRedisOptions(connection: RedisOptions): RedisOptions {
  return {
    ...connection,
    // Opened explicitly at start-up, so the API listens only once Redis answered.
    lazyConnect: true,
    // A command sent while the connection is down fails at once instead of waiting in a queue …
    enableOfflineQueue: false,
    // … one in flight when the connection drops is failed, not sent again after the reconnect …
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    // … and one Redis does not answer (a hung server, a black-holed network) fails after this.
    commandTimeout: API_REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    // Reconnect quickly once Redis is back (the default backs off to 2 s).
    retryStrategy: (times: number) => Math.min(100 * times, 1_000),
  };
}

/**
 * The messages ioredis rejects a command with when Redis cannot be reached with the options
 * above: not connected (offline queue disabled), the connection closed with the command in
 * flight, no answer within the command timeout, or retries used up.
 */
const NOT_SENT_MESSAGE = "Stream isn't writeable and enableOfflineQueue options is false";
const UNAVAILABLE_MESSAGES = [NOT_SENT_MESSAGE, 'Connection is closed.', 'Command timed out'];

/** Whether an error (or one of its causes) says Redis could not be reached, rather than that a command failed. */
export function isRedisUnavailable(error: unknown): boolean {
  return causeChain(error).some((link) => link instanceof Error && (link.name === 'MaxRetriesPerRequestError' || UNAVAILABLE_MESSAGES.includes(link.message)));
}

/**
 * Whether Redis was never sent the failed command (the connection was down when the request
 * came), so the request certainly changed nothing. A command that timed out, or was in flight
 * when the connection closed, may still run once Redis answers again: its outcome is unknown.
 */
export function isRedisCommandUnsent(error: unknown): boolean {
  return causeChain(error).some((link) => link instanceof Error && link.message === NOT_SENT_MESSAGE);
}
