// The event stream's public shape (docs/adr/0015-event-stream.md). Every job transition and
// every landing state change is appended to one Redis stream by the Lua script that makes
// the change; an entry there is a flat list of short fields (what the scripts write), and
// `eventOfEntry` turns it into the event the API sends. Small on purpose: enough to react
// to a change and to fetch the full record, nothing internal, never a secret.
import { z } from 'zod';
import { FailureClassSchema, JOB_STATES, type Job } from './job.ts';

/** A landing's states in the ledger (watchers/landing-ledger.ts draws the moves). */
export const LANDING_STATES = ['seen', 'ready', 'batched', 'done', 'quarantined'] as const;
export type LandingState = (typeof LANDING_STATES)[number];

export const EVENT_TYPES = [...JOB_STATES.map((state) => `job.${state}` as const), ...LANDING_STATES.map((state) => `landing.${state}` as const)];
export type EventType = (typeof EVENT_TYPES)[number];

/** How many entries the stream keeps by default (SLUICE_EVENTS_MAX_LENGTH; trimmed approximately, never below). */
export const DEFAULT_EVENTS_MAX_LENGTH = 100_000;

/** A Redis stream id: "<ms>-<sequence>". */
export const StreamIdSchema = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'must be an event id such as 1733030000000-0');

/** The longest failure message or reason an event carries (the job record has the whole text). */
const MAX_TEXT = 1_000;

export const SluiceEventSchema = z
  .object({
    id: StreamIdSchema.describe('The Redis stream id; send it back as Last-Event-ID to resume after it.'),
    type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
    time: z.string().describe('When the change was made (ISO 8601).'),
    state: z.string().describe('The state the job or landing is in after the change.'),
    from: z.string().optional().describe('The state it left (absent when it was created).'),
    pipeline: z.string().optional(),
    jobId: z.string().optional(),
    attempt: z.number().int().optional(),
    reason: z.string().optional(),
    failure: z.object({ class: FailureClassSchema, message: z.string() }).optional(),
    landing: z.object({ fingerprint: z.string(), source: z.string(), path: z.string(), batchId: z.string().optional() }).optional(),
    traceId: z.string().optional(),
  });
export type SluiceEvent = z.infer<typeof SluiceEventSchema>;

/** Flat field/value pairs, as XADD takes them. */
export type EntryFields = string[];

const clip = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** The stream entry for a job's latest transition (the last history entry); `previous` is the record it replaced. */
export function jobEventFields(job: Job, previous?: Job): EntryFields {
  const change = job.history.at(-1);
  const fields = ['type', `job.${job.state}`, 'time', String(Date.parse(change?.at ?? job.updatedAt)), 'state', job.state];
  if (previous) fields.push('from', previous.state);
  fields.push('pipeline', job.pipeline, 'job', job.id, 'attempt', String(change?.attempt ?? job.attempt));
  if (change?.reason) fields.push('reason', clip(change.reason));
  if (job.state === 'failed' && job.failure) fields.push('fclass', job.failure.class, 'fmessage', clip(job.failure.message));
  if (job.traceId) fields.push('trace', job.traceId);
  return fields;
}

/** The event a stream entry describes; undefined for an entry this version does not know (skipped, not fatal). */
export function eventOfEntry(id: string, fields: EntryFields): SluiceEvent | undefined {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const parsed = SluiceEventSchema.safeParse({
    id,
    type: f.type,
    time: f.time ? new Date(Number(f.time)).toISOString() : undefined,
    state: f.state,
    ...(f.from ? { from: f.from } : {}),
    ...(f.pipeline ? { pipeline: f.pipeline } : {}),
    ...(f.job ? { jobId: f.job } : {}),
    ...(f.attempt ? { attempt: Number(f.attempt) } : {}),
    ...(f.reason ? { reason: f.reason } : {}),
    ...(f.fclass ? { failure: { class: f.fclass, message: f.fmessage ?? '' } } : {}),
    ...(f.fp ? { landing: { fingerprint: f.fp, source: f.source ?? '', path: f.path ?? '', ...(f.batch ? { batchId: f.batch } : {}) } } : {}),
    ...(f.trace ? { traceId: f.trace } : {}),
  });
  return parsed.success ? parsed.data : undefined;
}

/** What a client follows: every filter given must match; `type` may be a prefix ending in "." ("job."). */
export type EventFilter = { pipeline?: string; jobId?: string; type?: string };

export function matchesFilter(event: SluiceEvent, filter: EventFilter): boolean {
  if (filter.pipeline !== undefined && event.pipeline !== filter.pipeline) return false;
  if (filter.jobId !== undefined && event.jobId !== filter.jobId) return false;
  if (filter.type !== undefined && !(filter.type.endsWith('.') ? event.type.startsWith(filter.type) : event.type === filter.type)) return false;
  return true;
}

/** Orders stream ids as Redis does (numerically by time, then sequence); negative when a < b. */
export function compareStreamIds(a: string, b: string): number {
  // Digits without leading zeros compare as numbers by length, then as text: no parsing on
  // a path run for every event and every client.
  const aDash = a.indexOf('-');
  const bDash = b.indexOf('-');
  return compareDigits(a.slice(0, aDash), b.slice(0, bDash)) || compareDigits(a.slice(aDash + 1), b.slice(bDash + 1));
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}
