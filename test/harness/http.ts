// Plain HTTP calls against a running Sluice, as a curl user would make them.
import { isFinal, type Job } from '../../broker/core/job.ts';
import { waitFor } from './wait-for.ts';

export type Http = {
  submit(body: unknown, headers?: Record<string, string>): Promise<Job>;
  job(id: string): Promise<Job>;
  /** Polls the job until it is succeeded, failed or cancelled. */
  finished(id: string, timeoutMs?: number): Promise<Job>;
  post(path: string): Promise<Response>;
  get(path: string): Promise<Response>;
};

export function http(baseUrl: string, apiKey: string): Http {
  const auth = { authorization: `Bearer ${apiKey}` };
  const api: Http = {
    async submit(body, headers = {}) {
      const response = await fetch(`${baseUrl}/v1/jobs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      if (response.status !== 201 && response.status !== 200) throw new Error(`submit: ${response.status} ${await response.text()}`);
      return (await response.json()) as Job;
    },
    async job(id) {
      const response = await fetch(`${baseUrl}/v1/jobs/${id}`, { headers: auth });
      if (!response.ok) throw new Error(`get job: ${response.status} ${await response.text()}`);
      return (await response.json()) as Job;
    },
    finished: (id, timeoutMs = 240_000) =>
      waitFor(`job ${id} to finish`, async () => {
        const job = await api.job(id);
        return isFinal(job.state) ? job : undefined;
      }, timeoutMs, 500),
    post: (path) => fetch(`${baseUrl}${path}`, { method: 'POST', headers: auth }),
    get: (path) => fetch(`${baseUrl}${path}`, { headers: auth }),
  };
  return api;
}
