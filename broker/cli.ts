// `sluice`: the one command line. Server roles (serve, api, worker) build the adapters
// through startSluice(); client commands (submit, status, logs, cancel) talk to a running
// Sluice over HTTP with SLUICE_URL and SLUICE_API_KEY.
import { parseArgs } from 'node:util';
import { formatApiKeyEntry, newApiKey, type Scope } from './api/auth.ts';
import { ApiClient, ApiError } from './cli/api-client.ts';
import { followJob } from './cli/follow-job.ts';
import { typedParameters } from './cli/typed-parameters.ts';
import { loadConfig, type Config } from './config.ts';
import { ConfigError } from './core/errors.ts';
import type { SubmitRequest } from './core/job.ts';
import { RedisDurabilityError } from './queue/redis-durability.ts';
import { startSluice, type Roles } from './sluice.ts';

const USAGE = `usage: sluice <command> [options]

server roles
  serve                      API, worker and watchers in one process (the local default)
  api                        the HTTP API only
  worker                     the step worker only
  watch                      the landing watchers only (several may watch the same folders)

client commands (SLUICE_URL, SLUICE_API_KEY)
  submit <pipeline> [--input PATH]... [--param NAME=VALUE]... [--label NAME=VALUE]...
         [--priority N] [--idempotency-key KEY] [--follow]
  status <job-id> [--json]
  logs <job-id> [--tail N] [--follow]
  cancel <job-id>

admin
  key create --name NAME --scopes jobs:read,jobs:write,admin
                             prints a new API key and its SLUICE_API_KEYS entry
`;

async function runServer(config: Config, roles: Roles): Promise<void> {
  const sluice = await startSluice(config, roles);
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    sluice.logger.info({ signal, graceMs: config.SLUICE_SHUTDOWN_GRACE }, 'stopping: no new work; finishing current steps');
    const timer = setTimeout(() => {
      sluice.logger.error({ graceMs: config.SLUICE_SHUTDOWN_GRACE }, 'grace period over; exiting with steps unfinished (they will be re-delivered)');
      process.exit(1);
    }, config.SLUICE_SHUTDOWN_GRACE);
    timer.unref();
    await sluice.close();
    sluice.logger.info({}, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function pairs(values: string[] | undefined, option: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    if (at <= 0) throw new ConfigError(`--${option} "${value}": expected NAME=VALUE`);
    result[value.slice(0, at)] = value.slice(at + 1);
  }
  return result;
}

async function submit(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      input: { type: 'string', multiple: true },
      param: { type: 'string', multiple: true },
      label: { type: 'string', multiple: true },
      priority: { type: 'string' },
      'idempotency-key': { type: 'string' },
      follow: { type: 'boolean', default: false },
    },
  });
  const pipeline = positionals[0];
  if (!pipeline) throw new ConfigError('submit: name the pipeline, e.g. `sluice submit meter-daily --input landing/`');
  const client = new ApiClient(config.SLUICE_URL, config.SLUICE_API_KEY);
  const texts = pairs(values.param, 'param');
  // Only a submit with parameters needs the declaration (and a key that may read pipelines).
  const declared = Object.keys(texts).length > 0 ? (await client.pipeline(pipeline)).parameters : {};
  const request: SubmitRequest = {
    pipeline,
    parameters: typedParameters(texts, declared),
    labels: pairs(values.label, 'label'),
    ...(values.input ? { inputs: values.input } : {}),
    ...(values.priority ? { priority: Number(values.priority) } : {}),
  };
  const job = await client.submit(request, values['idempotency-key']);
  process.stdout.write(`${job.id}\n`);
  if (!values.follow) return 0;
  const done = await followJob(client, job.id);
  printSummary(done);
  return done.state === 'succeeded' ? 0 : 1;
}

function printSummary(job: Awaited<ReturnType<ApiClient['job']>>): void {
  const lines = [`job ${job.id}: ${job.state} (attempt ${job.attempt} of ${job.maxAttempts}, pipeline ${job.pipeline})`];
  if (job.output) {
    lines.push(`  rows in ${job.output.rowsIn}, rows out ${job.output.rowsOut}, ${job.output.files} files, ${job.output.bytes} bytes`);
    lines.push(`  lake run ${job.output.runUri}`);
  }
  if (job.failure) {
    lines.push(`  failure (${job.failure.class}, ${job.failure.stage}): ${job.failure.message}`);
    if (job.failure.logTail) lines.push(job.failure.logTail.split('\n').slice(-15).map((line) => `    | ${line}`).join('\n'));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function status(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  if (!positionals[0]) throw new ConfigError('status: give a job id');
  const job = await new ApiClient(config.SLUICE_URL, config.SLUICE_API_KEY).job(positionals[0]);
  if (values.json) process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
  else {
    printSummary(job);
    for (const change of job.history) process.stdout.write(`  ${change.at}  ${change.state.padEnd(9)} ${change.reason ?? ''}\n`);
  }
  return 0;
}

async function logs(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { tail: { type: 'string' }, follow: { type: 'boolean', default: false } },
  });
  if (!positionals[0]) throw new ConfigError('logs: give a job id');
  const stream = await new ApiClient(config.SLUICE_URL, config.SLUICE_API_KEY).logs(positionals[0], {
    ...(values.tail ? { tail: Number(values.tail) } : {}),
    follow: values.follow,
  });
  for await (const chunk of stream) process.stdout.write(chunk);
  return 0;
}

async function cancel(config: Config, args: string[]): Promise<number> {
  if (!args[0]) throw new ConfigError('cancel: give a job id');
  const job = await new ApiClient(config.SLUICE_URL, config.SLUICE_API_KEY).cancel(args[0]);
  process.stdout.write(`${job.id}: ${job.state}${job.cancelRequested ? ' (cancel requested)' : ''}\n`);
  return 0;
}

function key(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, scopes: { type: 'string' } } });
  if (positionals[0] !== 'create' || !values.name || !values.scopes) throw new ConfigError('key: usage: sluice key create --name NAME --scopes jobs:read,jobs:write');
  const secret = newApiKey();
  // formatApiKeyEntry checks each scope and names an unknown one.
  const entry = formatApiKeyEntry(values.name, values.scopes.split(',') as Scope[], secret);
  process.stdout.write(`key (give it to the client; it is not stored): ${secret}\nSLUICE_API_KEYS entry (stores only its hash): ${entry}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case 'serve':
      await runServer(config, { api: true, worker: true, watch: true });
      return -1;
    case 'api':
      await runServer(config, { api: true, worker: false });
      return -1;
    case 'worker':
      await runServer(config, { api: false, worker: true });
      return -1;
    case 'watch':
      await runServer(config, { api: false, worker: false, watch: true });
      return -1;
    case 'submit':
      return submit(config, rest);
    case 'status':
      return status(config, rest);
    case 'logs':
      return logs(config, rest);
    case 'cancel':
      return cancel(config, rest);
    case 'key':
      return key(rest);
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof ApiError || error instanceof RedisDurabilityError;
    process.stderr.write(`sluice: ${known ? (error as Error).message : (error as Error).stack ?? String(error)}\n`);
    process.exitCode = known && !(error instanceof ApiError && error.status >= 500) ? 2 : 1;
  },
);
