// A small HTTP client for the CLI commands: bearer key, JSON in and out, and problem+json
// errors turned into one readable message with their field paths.
import type { Job, JobState, SubmitRequestBody } from '../core/job.ts';
import type { Pipeline } from '../core/pipeline.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Sluice answered 503: a dependency (Redis) is away for now, and the same call may work in a moment. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof ApiError && error.status === 503;
}

type Problem = { title?: string; detail?: string; errors?: Array<{ path: string; message: string }> };

export type Page<T> = { items: T[]; nextCursor?: string };
/** A landing as GET /v1/landings shows it (the fields a client reads). */
export type Landing = { fingerprint: string; source: string; path: string; uri: string; state: string; seenAt?: string; jobId?: string; reason?: string };

const searchOf = (query: Record<string, string | number | undefined>): string =>
  new URLSearchParams(Object.entries(query).flatMap(([name, value]): [string, string][] => (value === undefined ? [] : [[name, String(value)]]))).toString();

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  private async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ApiError(0, `cannot reach Sluice at ${this.baseUrl} (SLUICE_URL): ${(error as Error).message}`);
    }
    if (response.ok) return response;
    const text = await response.text();
    let message = `${response.status} ${response.statusText}`;
    try {
      const problem = JSON.parse(text) as Problem;
      message = [problem.title, problem.detail].filter(Boolean).join(': ') || message;
      for (const error of problem.errors ?? []) message += `\n  ${error.path}: ${error.message}`;
    } catch {
      if (text) message += `: ${text.slice(0, 500)}`;
    }
    if (response.status === 401) message += '\n  (set SLUICE_API_KEY to a key with the needed scope)';
    throw new ApiError(response.status, message);
  }

  async submit(request: SubmitRequestBody, idempotencyKey?: string): Promise<Job> {
    const response = await this.call('POST', '/v1/jobs', request, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
    return (await response.json()) as Job;
  }

  /** One page of jobs, newest first. */
  async jobs(query: { pipeline?: string; state?: JobState; limit?: number; cursor?: string } = {}): Promise<Page<Job>> {
    return (await (await this.call('GET', `/v1/jobs?${searchOf(query)}`)).json()) as Page<Job>;
  }

  /** One page of the landing ledger, newest first. */
  async landings(query: { source?: string; state?: string; limit?: number; cursor?: string } = {}): Promise<Page<Landing>> {
    return (await (await this.call('GET', `/v1/landings?${searchOf(query)}`)).json()) as Page<Landing>;
  }

  async pipeline(name: string): Promise<Pipeline> {
    return (await (await this.call('GET', `/v1/pipelines/${encodeURIComponent(name)}`)).json()) as Pipeline;
  }

  async job(id: string): Promise<Job & { stage?: string }> {
    return (await (await this.call('GET', `/v1/jobs/${encodeURIComponent(id)}`)).json()) as Job & { stage?: string };
  }

  async cancel(id: string): Promise<Job> {
    return (await (await this.call('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`)).json()) as Job;
  }

  async retry(id: string): Promise<Job> {
    return (await (await this.call('POST', `/v1/jobs/${encodeURIComponent(id)}/retry`)).json()) as Job;
  }

  async logs(id: string, options: { tail?: number; follow?: boolean }): Promise<ReadableStream<Uint8Array>> {
    const query = new URLSearchParams();
    if (options.tail !== undefined) query.set('tail', String(options.tail));
    if (options.follow) query.set('follow', 'true');
    const response = await this.call('GET', `/v1/jobs/${encodeURIComponent(id)}/logs?${query}`);
    return response.body ?? new ReadableStream();
  }
}
