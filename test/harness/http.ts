// Calls against a running Sluice through the generated client the CLI uses (openapi-fetch
// over docs/openapi.json's types), plus raw requests for the status codes a curl user would see.
import { isUnavailable, SluiceClient, type JobView, type SubmitRequest } from '../../broker/cli/sluice-client.ts';
import { isFinal } from '../../broker/core/job.ts';
import { waitFor } from './wait-for.ts';

export type Http = {
  /** The generated client itself, for any other route. */
  client: SluiceClient;
  submit(body: SubmitRequest): Promise<JobView>;
  job(id: string): Promise<JobView>;
  /** Polls the job until it is succeeded, failed or cancelled. */
  finished(id: string, timeoutMs?: number): Promise<JobView>;
  post(path: string): Promise<Response>;
  get(path: string): Promise<Response>;
};

export function http(baseUrl: string, apiKey: string): Http {
  const client = new SluiceClient(baseUrl, apiKey);
  const auth = { authorization: `Bearer ${apiKey}` };
  return {
    client,
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
