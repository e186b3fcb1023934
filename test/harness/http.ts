// Calls against a running Sluice through the CLI's own client, plus raw requests for the
// status codes a curl user would see.
import { ApiClient, isUnavailable } from '../../broker/cli/api-client.ts';
import { isFinal, type Job, type SubmitRequestBody } from '../../broker/core/job.ts';
import { waitFor } from './wait-for.ts';

export type Http = {
  submit(body: SubmitRequestBody): Promise<Job>;
  job(id: string): Promise<Job>;
  /** Polls the job until it is succeeded, failed or cancelled. */
  finished(id: string, timeoutMs?: number): Promise<Job>;
  post(path: string): Promise<Response>;
  get(path: string): Promise<Response>;
};

export function http(baseUrl: string, apiKey: string): Http {
  const client = new ApiClient(baseUrl, apiKey);
  const auth = { authorization: `Bearer ${apiKey}` };
  return {
    submit: (body) => client.submit(body),
    job: (id) => client.job(id),
    finished: (id, timeoutMs = 240_000) =>
      waitFor(`job ${id} to finish`, async () => {
        // While Redis is away the API answers 503 (try again); the job goes on meanwhile.
        const job = await client.job(id).catch((error: unknown) => {
          if (isUnavailable(error)) return undefined;
          throw error;
        });
        return job && isFinal(job.state) ? job : undefined;
      }, timeoutMs, 500),
    post: (path) => fetch(`${baseUrl}${path}`, { method: 'POST', headers: auth }),
    get: (path) => fetch(`${baseUrl}${path}`, { headers: auth }),
  };
}
