// The Sluice HTTP client: openapi-fetch over the types generated from docs/openapi.json
// (generated/sluice-api.ts, `make openapi`), so a call that does not match the API's
// contract does not compile. This module adds only what every caller needs around it: the
// base URL and bearer key, one error type carrying the problem+json (title, detail, field
// paths), the 503 test, a submit that survives a moment's outage without making two jobs, and
// the log stream for `logs --follow`.
import createClient, { type Client } from 'openapi-fetch';
import { withoutUrlCredentials } from '../core/errors.ts';
import type { components, paths } from './generated/sluice-api.ts';

export type JobView = components['schemas']['JobView'];
export type JobPage = components['schemas']['JobPage'];
export type Landing = components['schemas']['Landing'];
export type Pipeline = components['schemas']['Pipeline'];
export type SubmitRequest = components['schemas']['SubmitRequest'];
export type Problem = components['schemas']['Problem'];

/** An answer other than 2xx, or no answer at all (status 0); the message is ready to print. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    /** The problem document, when Sluice sent one. */
    readonly problem?: Problem,
  ) {
    super(message);
  }
}

/**
 * Sluice answered 503 (a dependency, Redis, is away for now), or could not be reached at all
 * (status 0: a restart, a rolling upgrade): the same call may work in a moment.
 */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 503 || error.status === 0);
}

export type SubmitOptions = {
  /** Tries in all while Sluice is unavailable (isUnavailable), a pause between each. */
  tries?: number;
  pauseMs?: number;
  /** Told before each try again. */
  onRetry?: (error: ApiError, key: string) => void;
};

const isProblem = (value: unknown): value is Problem => typeof value === 'object' && value !== null && 'status' in value && 'title' in value;

/** "title: detail" and one line per invalid field, or the status line and the start of the body. */
function messageOf(response: Response, error: unknown): string {
  let message = `${response.status} ${response.statusText}`;
  if (isProblem(error)) {
    message = [error.title, error.detail].filter(Boolean).join(': ') || message;
    for (const field of error.errors ?? []) message += `\n  ${field.path}: ${field.message}`;
  } else if (typeof error === 'string' && error) {
    message += `: ${error.slice(0, 500)}`;
  }
  if (response.status === 401) message += '\n  (set SLUICE_API_KEY to a key with the needed scope)';
  return message;
}

/**
 * fetch's own message is only "fetch failed"; the reason (connection refused, a host that does
 * not resolve, a certificate, a port fetch refuses) is in its cause.
 */
function whyUnreachable(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? (error.cause as { message?: unknown; code?: unknown } | undefined) : undefined;
  const reason = [cause?.message, cause?.code].find((part): part is string => typeof part === 'string' && part !== '');
  return reason && !message.includes(reason) ? `${message} (${reason})` : message;
}

type Answer<D> = { data?: D; error?: unknown; response: Response };

export type SluiceClientOptions = {
  /** Another fetch, e.g. an app's own `app.request` in tests. */
  fetch?: (request: Request) => Promise<Response>;
};

export class SluiceClient {
  /** openapi-fetch over the generated paths: every request goes through it. */
  readonly api: Client<paths>;

  constructor(
    readonly baseUrl: string,
    apiKey: string | undefined,
    options: SluiceClientOptions = {},
  ) {
    this.api = createClient<paths>({
      baseUrl: baseUrl.replace(/\/+$/, ''),
      ...(apiKey ? { headers: { authorization: `Bearer ${apiKey}` } } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** The body of a 2xx answer; an ApiError for anything else, or when Sluice cannot be reached. */
  async data<D>(pending: Promise<Answer<D>>): Promise<NonNullable<D>> {
    let answer: Answer<D>;
    try {
      answer = await pending;
    } catch (error) {
      throw new ApiError(0, withoutUrlCredentials(`cannot reach Sluice at ${this.baseUrl} (SLUICE_URL): ${whyUnreachable(error)}`), undefined);
    }
    if (!answer.response.ok || answer.data === undefined || answer.data === null) {
      throw new ApiError(answer.response.status, messageOf(answer.response, answer.error), isProblem(answer.error) ? answer.error : undefined);
    }
    return answer.data;
  }

  /**
   * Submits, always with an Idempotency-Key (a new one when none is given), and tries again
   * with the same key while Sluice is unavailable: an unanswered submit may have made its job
   * (the 503 says so), and the key makes the next try return that job instead of a second.
   * Still unavailable after the last try: the ApiError's message names the key to send again.
   */
  async submit(body: SubmitRequest, idempotencyKey?: string, options: SubmitOptions = {}): Promise<JobView> {
    const key = idempotencyKey ?? `cli-${crypto.randomUUID()}`;
    const tries = options.tries ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.data(this.api.POST('/v1/jobs', { body, params: { header: { 'idempotency-key': key } } }));
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        const unavailable = error as ApiError;
        if (attempt >= tries) {
          throw new ApiError(
            unavailable.status,
            `${unavailable.message}\n  (the job may have been created: submit again with --idempotency-key ${key} to get it, not a second one)`,
            unavailable.problem,
          );
        }
        options.onRetry?.(unavailable, key);
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 2_000));
      }
    }
  }

  job(id: string): Promise<JobView> {
    return this.data(this.api.GET('/v1/jobs/{id}', { params: { path: { id } } }));
  }

  /** The driver log: the last `tail` lines, and with `follow` the lines written after them while the run lives. */
  async logs(id: string, query: { tail?: number; follow?: boolean }): Promise<ReadableStream<Uint8Array>> {
    const answer = this.api.GET('/v1/jobs/{id}/logs', { params: { path: { id }, query }, parseAs: 'stream' });
    // An empty log (a run that has written nothing yet) comes as a 200 without a body, which
    // openapi-fetch gives as no data at all.
    const empty = await answer.then(
      (settled) => settled.response.ok && (settled.data === undefined || settled.data === null),
      () => false,
    );
    if (empty) return new ReadableStream({ start: (controller) => controller.close() });
    return this.data(answer);
  }
}
