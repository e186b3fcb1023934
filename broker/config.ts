// Sluice's settings, all from the environment, parsed once into a frozen object. This is
// the only module that reads process.env; everything else receives the object. Each
// setting is listed, with its default and unit, in README.md ("Configuration").
import { isIP } from 'node:net';
import { totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError, zodErrorLines } from './core/errors.ts';
import { DurationSchema, SizeSchema } from './core/units.ts';
import { DEFAULT_EVENTS_MAX_LENGTH } from './core/events.ts';
import { parseS3Root, type S3Root } from './jobs/input-paths.ts';
import { parseS3Uri } from './lake/s3-uri.ts';
import type { S3Settings } from './lake/s3-storage.ts';
import { connectionUrlProblem, DIALECT_HINT, dialectOf } from '../sql-sinks/dialect-of.ts';
import { credentialEscapeProblem } from './core/url-credentials.ts';

const csv = z.string().transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean));
const paths = z.string().transform((text) => text.split(':').map((part) => part.trim()).filter(Boolean).map((p) => resolve(p)));
// Whole numbers written in decimal digits only: z.coerce.number() would read " " as 0 (a random
// port) and also take "1e3", "0x1f" or "-0".
const int = (min: number, max: number) =>
  z.string().regex(/^\s*\d+\s*$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

/** A duration that must be more than 0: for these settings 0 would not mean "off" but "at once" (a hot loop, or every finished job removed). */
const positiveDuration = (meaning: string) =>
  DurationSchema.refine((ms) => ms > 0, `must be more than 0 (${meaning})`);

/**
 * SLUICE_REDIS_URL as redisOptions() (sluice.ts) reads it. Without this, "redis:6379" or
 * "my-redis:6379" parse as URLs with no host, and ioredis quietly connects to 127.0.0.1.
 * The value is never echoed: it holds the password.
 */
const RedisUrlSchema = z.string().superRefine((text, ctx) => {
  const problem = redisUrlProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function redisUrlProblem(text: string): string | undefined {
  const form = 'redis://[:password@]host[:port][/db] (rediss:// for TLS)';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `cannot be parsed as a URL: write ${form}, with "%", "#", "/" and "?" in the password escaped (%25, %23, %2F, %3F)`;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return `must be ${form}`;
  if (url.hostname === '') return `names no host: write ${form}`;
  if (!/^\/?\d*$/.test(url.pathname)) return 'the database after the host must be a number, e.g. redis://host:6379/0';
  if (url.search !== '' || url.hash !== '') return `has a "?" or "#" part that would be ignored (escape them in a password as %3F and %23): write ${form}`;
  return credentialEscapeProblem(url);
}

/**
 * An http:// or https:// URL with a host. user:password@ is refused (never echoed): Node's
 * fetch refuses such a URL, and the value would be printed in messages and links; `instead`
 * says where credentials go.
 */
const httpUrl = (example: string, instead: string) =>
  z.string().superRefine((text, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.hostname === '') {
      ctx.addIssue({ code: 'custom', message: `must be an http:// or https:// URL, e.g. ${example}` });
    } else if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: `must not hold user:password@; ${instead}` });
    }
  });

/**
 * Where a server listens: a host name or an IP address (IPv6 without brackets). "0.0.0.0:8080"
 * or "http://0.0.0.0" would otherwise reach listen() as a name to look up, and fail there
 * with a stack trace that names no setting.
 */
const listenHost = (portSetting: string) =>
  z.string().refine((text) => isIP(text) !== 0 || /^[A-Za-z0-9.-]+$/.test(text), `must be a host name or an IP address, without a scheme or port (the port is ${portSetting}; IPv6 without brackets)`);

/** The lake root as openLake() takes it: file:///absolute/folder or s3://bucket/prefix. */
const LakeUriSchema = z.string().superRefine((text, ctx) => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  try {
    if (scheme === 'file') fileURLToPath(text);
    else if (scheme === 's3') parseS3Uri(text, 'the URI');
    else if (scheme === 's3a') ctx.addIssue({ code: 'custom', message: 'write the lake as s3://… (Sluice hands Spark the s3a:// form itself)' });
    else ctx.addIssue({ code: 'custom', message: `"${text}" must be file:///absolute/folder or s3://bucket/prefix` });
  } catch (error) {
    const detail = scheme === 'file' ? `"${text}" is not a file:// URI of an absolute folder (file:///data/lake: three slashes)` : (error as Error).message;
    ctx.addIssue({ code: 'custom', message: detail });
  }
});

/** SLUICE_LANDING_ROOTS: ":"-separated like PATH. A "," (other lists' separator) is refused: it would make one folder of two. */
const LandingRootsSchema = z
  .string()
  .refine((text) => !text.includes(','), 'separate folders with ":" (like PATH), not ","')
  .pipe(paths)
  .refine((roots) => roots.length > 0, 'name at least one folder');

export const ConfigSchema = z.object({
  SLUICE_REDIS_URL: RedisUrlSchema.default('redis://127.0.0.1:6379'),
  SLUICE_QUEUE_PREFIX: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/).default('sluice'),
  SLUICE_PIPELINES_DIR: z.string().default('examples/pipelines').transform((p) => resolve(p)),
  SLUICE_LAKE_URI: LakeUriSchema.default(pathToFileURL(resolve('.sluice/lake')).href),
  SLUICE_LANDING_ROOTS: LandingRootsSchema.default([resolve('.sluice/landing')]),
  SLUICE_RUNS_DIR: z.string().default('.sluice/runs').transform((p) => resolve(p)),
  SLUICE_SPARK_SUBMIT: z.string().default('.venv/bin/spark-submit').transform((p) => (p.includes('/') ? resolve(p) : p)),
  SLUICE_SPARK_APPS_DIR: z.string().default('spark-apps').transform((p) => resolve(p)),
  SLUICE_SPARK_LOCAL_CORES: int(1, 256).default(2),
  /** engine.kind auto runs a job on the embedded engine (DuckDB) when its inputs total at most this (ADR 0021). */
  SLUICE_EMBEDDED_MAX_BYTES: SizeSchema.default(2_000_000_000),
  /**
   * The embedded engine's memory limit per run; past it DuckDB spills to the run's folder. A
   * quarter of the machine by default: two runs at once plus the worker stay well inside it.
   */
  SLUICE_EMBEDDED_MEMORY: SizeSchema.default(Math.floor(totalmem() / 4)),
  SLUICE_API_HOST: listenHost('SLUICE_API_PORT').default('127.0.0.1'),
  SLUICE_API_PORT: int(0, 65_535).default(8080),
  SLUICE_API_KEYS: csv.default([]),
  /**
   * Where a worker or watcher process serves GET /metrics without a key (the API serves its
   * own behind the admin scope): port 0 is any free port, `off` serves none.
   */
  SLUICE_METRICS_HOST: listenHost('SLUICE_METRICS_PORT').default('127.0.0.1'),
  SLUICE_METRICS_PORT: z
    .union([z.literal('off').transform((): null => null), int(0, 65_535)], { error: 'must be a port number from 0 to 65535 (0: any free port) or off' })
    .default(9464),
  SLUICE_BODY_LIMIT: SizeSchema.default(1_000_000),
  SLUICE_MAX_RUNNING: int(1, 10_000).default(4),
  SLUICE_WORKER_CONCURRENCY: int(1, 1_000).default(16),
  SLUICE_AWAIT_POLL: positiveDuration('how often a running job is looked at').default(5_000),
  SLUICE_SHUTDOWN_GRACE: DurationSchema.default(30_000),
  SLUICE_RETENTION: positiveDuration('finished jobs are removed once it has passed; there is no "keep forever"').default(7 * 86_400_000),
  /** Entries the job and landing event stream keeps (trimmed approximately, never below): docs/adr/0015-event-stream.md. */
  SLUICE_EVENTS_MAX_LENGTH: int(1_000, 100_000_000).default(DEFAULT_EVENTS_MAX_LENGTH),
  /** S3 (or MinIO) for s3:// lakes and landings; without keys the AWS SDK's default chain applies. */
  SLUICE_S3_ENDPOINT: httpUrl('http://127.0.0.1:9000', 'give the keys as SLUICE_S3_ACCESS_KEY_ID and SLUICE_S3_SECRET_ACCESS_KEY').optional(),
  SLUICE_S3_REGION: z.string().default('us-east-1'),
  SLUICE_S3_ACCESS_KEY_ID: z.string().optional(),
  SLUICE_S3_SECRET_ACCESS_KEY: z.string().optional(),
  SLUICE_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  /** ","-separated s3://bucket/prefix roots that s3:// job inputs may name, besides the pipelines' s3 sources. */
  SLUICE_S3_LANDING_ROOTS: csv
    .transform((parts, ctx): S3Root[] => {
      const roots: S3Root[] = [];
      for (const part of parts) {
        try {
          roots.push(parseS3Root(part));
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }
      return roots;
    })
    .default([]),
  /**
   * Kubernetes (the k8s-operator and k8s-native launchers): `in-cluster` (the pod's own
   * ServiceAccount) or a kubeconfig path. Unset: this worker has no Kubernetes launchers and
   * fails jobs whose pipeline names one with a clear user error.
   */
  SLUICE_K8S_KUBECONFIG: z.string().optional(),
  /** The namespace of runs whose pipeline names none (engine.namespace). */
  SLUICE_K8S_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name').default('spark'),
  /** The Spark-apps image of pipelines that name none (engine.image); unset: such a pipeline fails at launch. */
  SLUICE_K8S_SPARK_IMAGE: z.string().regex(/^\S+$/).optional(),
  /** The app inside that image, as Spark takes it. */
  SLUICE_K8S_APP_FILE: z.string().default('local:///opt/sluice/spark-apps/run_aggregate.py'),
  /** The Spark version of that image (a SparkApplication's sparkVersion). */
  SLUICE_K8S_SPARK_VERSION: z.string().default('4.0.1'),
  /** Spark UI link of a live run, with {namespace} {name} {appId}, e.g. https://spark.example/{namespace}/{name}/ */
  SLUICE_K8S_UI_URL: z.string().optional(),
  /** History-server link of an ended run, same placeholders, e.g. https://history.example/history/{appId}/ */
  SLUICE_K8S_HISTORY_URL: z.string().optional(),
  /** Whether driver logs are read through pods/log (tail, follow, archive to the lake): `off` where kubelets are unreachable. */
  SLUICE_K8S_DRIVER_LOGS: z.enum(['on', 'off']).default('on'),
  /** A Secret (keys AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) that S3 runs reference for their keys. */
  SLUICE_K8S_S3_SECRET: z.string().optional(),
  /** How often the launchers' informers list every run again, whatever their watches say. */
  SLUICE_K8S_RESYNC: positiveDuration('the period of a full re-list').default(300_000),
  /** A watch that has said nothing for this long is restarted. */
  SLUICE_K8S_WATCH_QUIET: positiveDuration('a watch silent this long is restarted').default(600_000),
  /** Most connections each SQL connection's pool opens, per process. */
  SLUICE_SQL_POOL_MAX: int(1, 100).default(4),
  SLUICE_SQL_CONNECT_TIMEOUT: DurationSchema.default(15_000),
  /** How long a dashboard sign-in lasts (the session's expiry in Redis): docs/adr/0018-ops-dashboard.md. */
  SLUICE_UI_SESSION_TTL: positiveDuration('how long a sign-in lasts').default(12 * 3_600_000),
  /** Where the dashboard's built files are (`npm run build:ui`, run by scripts/setup). */
  SLUICE_UI_DIR: z.string().default('.sluice/ui').transform((p) => resolve(p)),
  /** `true` when a proxy in front of the API sets X-Forwarded-Proto: only then is it believed (Secure cookies behind TLS). */
  SLUICE_UI_TRUST_PROXY: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** Sign-in by an auth proxy in front (broker/ui/trusted-header.ts): the header naming the user; unset, none. */
  SLUICE_UI_TRUSTED_HEADER: z.string().optional(),
  /** The addresses that header is believed from: the proxy's own (loopback: a proxy in Sluice's pod). */
  SLUICE_UI_TRUSTED_PROXIES: csv.default(['127.0.0.1', '::1']),
  /** Scopes of a user the proxy signs in, unless SLUICE_UI_TRUSTED_USERS names them ("scope+scope"). */
  SLUICE_UI_TRUSTED_SCOPES: z.string().default('jobs:read'),
  /** "user=scope+scope" entries, comma-separated: users with scopes other than SLUICE_UI_TRUSTED_SCOPES. */
  SLUICE_UI_TRUSTED_USERS: csv.default([]),
  SLUICE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The dashboard's address as people reach it (https://sluice.example.com): webhook bodies link to the job's page under it. */
  SLUICE_WEBHOOK_LINK_BASE: httpUrl('https://sluice.example.com', 'alerts would carry them to every webhook').optional(),
  /** For the CLI client commands (submit, status, logs, cancel). */
  SLUICE_URL: httpUrl('http://127.0.0.1:8080', 'the client commands authenticate with SLUICE_API_KEY').default('http://127.0.0.1:8080'),
  SLUICE_API_KEY: z.string().optional(),
});

/** SLUICE_SQL_<NAME>_URL: the URL of the SQL connection that pipelines call <name>. */
const SQL_URL_SETTING = /^SLUICE_SQL_[A-Z][A-Z0-9_]*_URL$/;

/** SLUICE_WEBHOOK_<TARGET>_URL and _SECRET: the webhook that pipelines' `notify:` rules call <target>. */
const WEBHOOK_SETTING = /^(SLUICE_WEBHOOK_[A-Z][A-Z0-9_]*)_(URL|SECRET)$/;

/** A webhook target: where alerts are POSTed and the key that signs them. Both are secrets: never log them. */
export type WebhookTarget = { url: string; secret: string };

export type Config = Readonly<
  z.infer<typeof ConfigSchema> & {
    /** Setting name (SLUICE_SQL_REPORTING_URL) → URL. The URLs hold passwords: never log them. */
    sqlUrls: Readonly<Record<string, string>>;
    /** Setting stem (SLUICE_WEBHOOK_OPS, see webhookSetting) → the target's URL and secret: never log them. */
    webhooks: Readonly<Record<string, WebhookTarget>>;
  }
>;

/** Parses an environment (process.env by default) into the frozen config, or says which setting is wrong. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(Object.keys(ConfigSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]));
  const parsed = ConfigSchema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(`invalid environment setting:\n${zodErrorLines(parsed.error).map((line) => `  ${line}`).join('\n')}`);
  }
  if (Boolean(parsed.data.SLUICE_S3_ACCESS_KEY_ID) !== Boolean(parsed.data.SLUICE_S3_SECRET_ACCESS_KEY)) {
    throw new ConfigError('invalid environment setting:\n  SLUICE_S3_ACCESS_KEY_ID and SLUICE_S3_SECRET_ACCESS_KEY go together: set both or neither');
  }
  const sqlUrls: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!SQL_URL_SETTING.test(name) || !value) continue;
    // The value is not echoed: it holds a password.
    if (!dialectOf(value)) throw new ConfigError(`invalid environment setting:\n  ${name}: ${DIALECT_HINT}`);
    const problem = connectionUrlProblem(value);
    if (problem) throw new ConfigError(`invalid environment setting:\n  ${name}: ${problem}`);
    sqlUrls[name] = value;
  }
  return Object.freeze({ ...parsed.data, sqlUrls: Object.freeze(sqlUrls), webhooks: webhookTargets(env) });
}

/** SLUICE_WEBHOOK_<TARGET>_URL and _SECRET, paired by target; a half-set pair, a URL that is not http(s) or one with credentials stops start-up. */
function webhookTargets(env: Record<string, string | undefined>): Readonly<Record<string, WebhookTarget>> {
  const parts: Record<string, { url?: string; secret?: string }> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = WEBHOOK_SETTING.exec(name);
    if (!match || !value) continue;
    const part = (parts[match[1]!] ??= {});
    if (match[2] === 'URL') part.url = value;
    else part.secret = value;
  }
  const problems: string[] = [];
  const targets: Record<string, WebhookTarget> = {};
  for (const [stem, { url, secret }] of Object.entries(parts)) {
    // Values are not echoed: a URL may carry a token (Slack), the secret is one.
    if (!url) problems.push(`${stem}_SECRET is set but ${stem}_URL is not: set both or neither`);
    else if (!secret) problems.push(`${stem}_URL is set but ${stem}_SECRET is not: every webhook is signed, set both`);
    else if (!isHttpUrl(url)) problems.push(`${stem}_URL: must be an http:// or https:// URL`);
    // Node's fetch refuses a URL with user:password@, so every attempt would fail.
    else if (hasCredentials(url)) problems.push(`${stem}_URL: must not hold user:password@ (fetch refuses it); put the token in the URL's path or query, or rely on ${stem}_SECRET, which signs every request`);
    else targets[stem] = Object.freeze({ url, secret });
  }
  if (problems.length > 0) throw new ConfigError(`invalid environment setting:\n${problems.map((line) => `  ${line}`).join('\n')}`);
  return Object.freeze(targets);
}

function hasCredentials(text: string): boolean {
  const url = new URL(text);
  return url.username !== '' || url.password !== '';
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/**
 * SLUICE_ variables that are set for Sluice's processes but are not settings of their own:
 * the Helm chart's bundled Redis password (SLUICE_REDIS_URL refers to it), the test and demo
 * switches.
 */
const NOT_SETTINGS = /^SLUICE_(BUNDLED_REDIS_PASSWORD|DEMO_STAY|UPDATE_SCREENSHOTS|TEST_[A-Z0-9_]+)$/;

/**
 * What Kubernetes sets for each Service of the namespace when a pod's service links are on (a
 * Service named sluice-redis: SLUICE_REDIS_SERVICE_HOST, SLUICE_REDIS_PORT=tcp://…): not
 * settings, and not typos either.
 */
function isServiceLink(name: string, value: string | undefined): boolean {
  return /_SERVICE_(HOST|PORT(_[A-Z0-9_]+)?)$/.test(name) || /_PORT_\d+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?$/.test(name) || (/_PORT$/.test(name) && /^(tcp|udp|sctp):\/\//.test(value ?? ''));
}

/** A SLUICE_ variable that is no setting, with the setting it may have meant to be. */
export type UnknownSetting = { name: string; meant?: string };

/**
 * SLUICE_ variables Sluice does not read: loadConfig() leaves them alone, so a misspelt
 * setting (SLUICE_REDIS_URI) would be ignored without a word and its default used. The server
 * roles warn about each at start-up, naming the setting it looks like.
 */
export function unknownSettings(env: Record<string, string | undefined> = process.env): UnknownSetting[] {
  const known = Object.keys(ConfigSchema.shape);
  return Object.keys(env)
    .filter((name) => name.toUpperCase().startsWith('SLUICE_') && !known.includes(name) && !SQL_URL_SETTING.test(name) && !WEBHOOK_SETTING.test(name) && !NOT_SETTINGS.test(name) && !isServiceLink(name, env[name]))
    .sort()
    .map((name) => {
      // Connection and webhook settings are written in capitals (SLUICE_SQL_REPORTING_URL).
      const upper = name.toUpperCase();
      if (SQL_URL_SETTING.test(upper) || WEBHOOK_SETTING.test(upper)) return { name, meant: upper };
      const [meant] = known.map((setting) => ({ setting, distance: editDistance(upper, setting) })).sort((a, b) => a.distance - b.distance);
      return meant && meant.distance <= 3 ? { name, meant: meant.setting } : { name };
    });
}

/** Levenshtein distance: how many letters to add, drop or change to turn one name into the other. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The S3 client settings (MinIO needs path-style addressing, the default with an endpoint). */
export function s3Settings(config: Config): S3Settings {
  return {
    ...(config.SLUICE_S3_ENDPOINT ? { endpoint: config.SLUICE_S3_ENDPOINT } : {}),
    region: config.SLUICE_S3_REGION,
    ...(config.SLUICE_S3_ACCESS_KEY_ID ? { accessKeyId: config.SLUICE_S3_ACCESS_KEY_ID } : {}),
    ...(config.SLUICE_S3_SECRET_ACCESS_KEY ? { secretAccessKey: config.SLUICE_S3_SECRET_ACCESS_KEY } : {}),
    forcePathStyle: config.SLUICE_S3_FORCE_PATH_STYLE ? config.SLUICE_S3_FORCE_PATH_STYLE === 'true' : Boolean(config.SLUICE_S3_ENDPOINT),
  };
}

/**
 * The environment for child processes such as spark-submit: the machine's own (PATH,
 * JAVA_HOME, HOME, …) without Sluice's settings, so that the Redis URL (with its password)
 * and the API key hashes never reach Spark or the user code it runs.
 */
export function childProcessEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => !entry[0].startsWith('SLUICE_') && entry[1] !== undefined));
}
