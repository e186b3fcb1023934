// The page's only ways to the server: the public /v1 API through the generated client
// (broker/cli/sluice-client.ts, openapi-fetch over docs/openapi.json's types), with the
// session cookie standing for the key, and /ui/session for signing in and out. A 401 from
// any call means the session has ended: the app goes back to the sign-in page.
import { ApiError, SluiceClient } from '../../../cli/sluice-client.ts';
import type { components } from '../../../cli/generated/sluice-api.ts';

export { ApiError };
export type JobView = components['schemas']['JobView'];
export type Pipeline = components['schemas']['Pipeline'];
export type Landing = components['schemas']['Landing'];
export type Queue = components['schemas']['Queue'];
export type SluiceEvent = components['schemas']['SluiceEvent'];
export type JobState = JobView['state'];

export const JOB_STATES: readonly JobState[] = ['queued', 'launching', 'running', 'loading', 'succeeded', 'failed', 'cancelled'];
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);

/** No key: the browser's cookie authenticates every same-origin request. */
export const client = new SluiceClient(location.origin, undefined);

/** `proxy`: signed in by the deployment's auth proxy (SLUICE_UI_TRUSTED_HEADER), which also signs out. */
export type Me = { name: string; scopes: string[]; proxy?: boolean };

let onSignedOut: () => void = () => undefined;
/** The app's handler for an ended session (set once, by the app). */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** Tells the app the session has ended (a 401, or a refused event stream with no session behind it). */
export function sessionEnded(): void {
  onSignedOut();
}

/** A /v1 call's data; an ended session (401) sends the app back to sign-in before the error surfaces. */
export async function call<D>(pending: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<NonNullable<D>> {
  try {
    return await client.data(pending);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) sessionEnded();
    throw error;
  }
}

/**
 * call() for an answer whose 200 may have no body: an empty driver log comes with
 * Content-Length 0, which openapi-fetch gives as no data at all (call() would make that an
 * error); here it is undefined. broker/cli/sluice-client.ts logs() does the same for the CLI.
 */
export async function callOrEmpty<D>(pending: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<NonNullable<D> | undefined> {
  const settled = await pending.catch(() => undefined);
  if (settled?.response.ok && (settled.data === undefined || settled.data === null)) return undefined;
  return call(pending);
}

/** What a failed call says to a person: the problem's title and detail, without the CLI's hints. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.problem) return [error.problem.title, error.problem.detail].filter(Boolean).join(': ');
    if (error.status === 0) return 'Sluice cannot be reached right now.';
    return error.message.split('\n')[0] ?? error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

async function problemDetail(response: Response): Promise<string> {
  const body = (await response.json().catch(() => undefined)) as { detail?: string } | undefined;
  return body?.detail ?? `${response.status} ${response.statusText}`;
}

export async function signIn(apiKey: string): Promise<Me> {
  const response = await fetch('/ui/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiKey }),
    credentials: 'same-origin',
  });
  if (response.status === 401) throw new Error('That API key is not valid. Check it and try again (keys are created with `sluice key create`).');
  if (!response.ok) throw new Error(`Sign-in failed: ${await problemDetail(response)}`);
  return (await response.json()) as Me;
}

/** Who the cookie signs in as, or undefined when there is no live session. */
export async function currentSession(): Promise<Me | undefined> {
  const response = await fetch('/ui/session', { credentials: 'same-origin' });
  if (response.status === 401) return undefined;
  if (!response.ok) throw new Error(`Sluice answered ${response.status}: ${await problemDetail(response)}`);
  return (await response.json()) as Me;
}

/** Ends the session; throws when Sluice could not (the session, and the cookie, still live). */
export async function signOut(): Promise<void> {
  const response = await fetch('/ui/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
  if (response?.ok) return;
  const why = response ? await problemDetail(response) : 'Sluice cannot be reached right now.';
  throw new Error(`Sign-out failed: ${why} You are still signed in; try again.`);
}

export const canWrite = (me: Me): boolean => me.scopes.includes('admin') || me.scopes.includes('jobs:write');
export const isAdmin = (me: Me): boolean => me.scopes.includes('admin');
