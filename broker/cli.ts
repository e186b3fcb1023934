// `sluice`: the one command line. Server roles (serve, api, worker) build the adapters
// through startSluice(); client commands (submit, status, logs, cancel, retry, jobs,
// landings) talk to a running Sluice over HTTP with SLUICE_URL and SLUICE_API_KEY. `--help` or
// `-h` after a command prints that command's usage and exits 0. A command line it cannot read
// (an unknown option, a missing value) prints the usage and exits 2, as does a setting or a
// request Sluice refuses; exit 1 is a job that failed, Sluice unavailable (503, or not reached
// at all: worth trying again) or a bug.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatApiKeyEntry, newApiKey, SCOPES, type Scope } from './api/api-keys.ts';
import { ApiError, isUnavailable, SluiceClient, type JobView, type Landing, type SubmitRequest } from './cli/sluice-client.ts';
import { followJob } from './cli/follow-job.ts';
import { loadProgressLines } from './cli/load-progress-lines.ts';
import { runLines } from './cli/run-lines.ts';
import { typedParameters } from './cli/typed-parameters.ts';
import { loadConfig, unknownSettings, type Config } from './config.ts';
import { ConfigError } from './core/errors.ts';
import { isFinal, JOB_STATES, type JobState } from './core/job.ts';
import { createLogger } from './logger.ts';
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
  retry <job-id>             runs a failed or cancelled job again as a new attempt
  jobs [--state S] [--pipeline P] [--label NAME=VALUE]... [--from TIME] [--until TIME]
       [--search TEXT] [--limit N] [--cursor C] [--json]
                             lists jobs, newest first; TIME is ISO 8601, --search matches
                             the start of a job id, an input path or an input's file name
  landings [--state S] [--source S] [--limit N] [--cursor C] [--json]
                             lists landed files and what became of them, each with
                             its fingerprint (what POST /v1/landings/{fingerprint}/readmit takes)

admin
  key create --name NAME --scopes jobs:read,jobs:write,admin
                             prints a new API key and its SLUICE_API_KEYS entry
`;

/**
 * One command's part of USAGE, for `sluice <command> --help` (and `sluice help <command>`): its
 * line and the lines indented under it, with "usage: sluice" before the command and the lines
 * under it moved along to stay aligned.
 */
function commandUsage(command: string): string | undefined {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`  ${command} `));
  if (start < 0) return undefined;
  const own = [lines[start]!];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('   ')) break;
    own.push(line);
  }
  const shift = ' '.repeat('usage: sluice '.length - 2);
  return `${own.map((line, index) => (index === 0 ? `usage: sluice ${line.slice(2)}` : `${shift}${line}`)).join('\n')}\n`;
}

/** The flags that ask for help; after a "--" every argument is taken as it is. */
const HELP_FLAGS: ReadonlySet<string> = new Set(['--help', '-h']);

function asksForHelp(args: string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (HELP_FLAGS.has(arg)) return true;
  }
  return false;
}

/** A command line that cannot be read: the message, then the usage; exit code 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict: an unknown option or a missing value is a UsageError, not a stack trace. */
function parse<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;
    // Node's own wording suggests "--" tricks; the option's name is what the person needs.
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    throw new UsageError(unknown ? `${command}: unknown option ${unknown[1]}` : `${command}: ${(error as Error).message}`);
  }
}

/** The one job id a command takes. */
function jobIdOf(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`${command}: give one job id, e.g. \`sluice ${command} j0hzk3m4pqrstvwxyz\``);
  return positionals[0]!;
}

function limitOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 200) throw new UsageError(`--limit "${text}": give a whole number from 1 to 200`);
  return Number(text);
}

/** The HTTP client of the client commands. */
function clientOf(config: Config): SluiceClient {
  return new SluiceClient(config.SLUICE_URL, config.SLUICE_API_KEY);
}

async function runServer(config: Config, roles: Roles): Promise<void> {
  const logger = createLogger(config.SLUICE_LOG_LEVEL);
  // Before anything connects: a misspelt setting is otherwise ignored without a word, and its
  // default (a Redis on 127.0.0.1, the example pipelines) used in its place.
  for (const { name, meant } of unknownSettings()) {
    logger.warn({ variable: name, ...(meant ? { meant } : {}) }, 'SLUICE_ variable is not a setting; ignored');
  }
  const sluice = await startSluice(config, roles, { logger });
  // Which pipelines this process serves, and where from: a folder left empty (a ConfigMap not
  // mounted, its keys without .yaml) otherwise shows only as every submit refused.
  const pipelines = sluice.pipelines.list().map((pipeline) => pipeline.name);
  if (pipelines.length === 0) logger.warn({ dir: config.SLUICE_PIPELINES_DIR }, 'no pipelines: SLUICE_PIPELINES_DIR holds no .yaml or .yml file');
  else logger.info({ dir: config.SLUICE_PIPELINES_DIR, pipelines }, 'pipelines loaded');
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

/** --priority as the API takes it; "high" would otherwise go out as null and come back as "expected number, received null". */
function priorityOf(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1_000) throw new UsageError(`--priority "${text}": give a whole number from 1 (served first) to 1000`);
  return Number(text);
}

async function submit(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parse('submit', args, {
    input: { type: 'string', multiple: true },
    param: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    priority: { type: 'string' },
    'idempotency-key': { type: 'string' },
    follow: { type: 'boolean', default: false },
  });
  const pipeline = positionals[0];
  if (!pipeline || positionals.length > 1) throw new UsageError('submit: name one pipeline, e.g. `sluice submit meter-daily --input landing/`');
  const client = clientOf(config);
  const texts = pairs(values.param, 'param');
  // Only a submit with parameters needs the declaration (and a key that may read pipelines).
  const declared = Object.keys(texts).length > 0 ? ((await client.data(client.api.GET('/v1/pipelines/{name}', { params: { path: { name: pipeline } } }))).parameters ?? {}) : {};
  const request: SubmitRequest = {
    pipeline,
    parameters: typedParameters(texts, declared),
    labels: pairs(values.label, 'label'),
    ...(values.input ? { inputs: values.input } : {}),
    ...(values.priority !== undefined ? { priority: priorityOf(values.priority) } : {}),
  };
  const job = await client.submit(request, values['idempotency-key'], {
    onRetry: (error, key) => process.stderr.write(`sluice: Sluice is unavailable (${error.message.split('\n')[0]}); trying again with Idempotency-Key ${key}\n`),
  });
  process.stdout.write(`${job.id}\n`);
  if (!values.follow) return 0;
  const done = await followJob(client, job.id);
  printSummary(done);
  return done.state === 'succeeded' ? 0 : 1;
}

function printSummary(job: JobView): void {
  const lines = [`job ${job.id}: ${job.state} (attempt ${job.attempt} of ${job.maxAttempts}, pipeline ${job.pipeline})`, ...runLines(job), ...loadProgressLines(job)];
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
  const { values, positionals } = parse('status', args, { json: { type: 'boolean', default: false } });
  const job = await clientOf(config).job(jobIdOf('status', positionals));
  if (values.json) process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
  else {
    printSummary(job);
    for (const change of job.history) process.stdout.write(`  ${change.at}  ${change.state.padEnd(9)} ${change.reason ?? ''}\n`);
  }
  return 0;
}

async function logs(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parse('logs', args, { tail: { type: 'string' }, follow: { type: 'boolean', default: false } });
  const id = jobIdOf('logs', positionals);
  if (values.tail !== undefined && !/^\d+$/.test(values.tail)) throw new UsageError(`--tail "${values.tail}": give a whole number of lines`);
  const stream = await clientOf(config).logs(id, {
    ...(values.tail ? { tail: Number(values.tail) } : {}),
    follow: values.follow,
  });
  try {
    for await (const chunk of stream) process.stdout.write(chunk);
  } catch (error) {
    // Sluice restarting (a rolling upgrade) ends a followed log mid-way: say so, not with fetch's stack trace.
    throw new ApiError(0, `the log of ${id} from Sluice at ${config.SLUICE_URL} (SLUICE_URL) broke off (${(error as Error).message}): run the command again to go on`);
  }
  return 0;
}

async function cancel(config: Config, args: string[]): Promise<number> {
  const { positionals } = parse('cancel', args, {});
  const client = clientOf(config);
  const job = await client.data(client.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: jobIdOf('cancel', positionals) } } }));
  // A job still running when the cancel was accepted stops at its worker's next step.
  process.stdout.write(`${job.id}: ${job.state}${isFinal(job.state) ? '' : ' (cancel requested)'}\n`);
  return 0;
}

async function retry(config: Config, args: string[]): Promise<number> {
  const { positionals } = parse('retry', args, {});
  const client = clientOf(config);
  const job = await client.data(client.api.POST('/v1/jobs/{id}/retry', { params: { path: { id: jobIdOf('retry', positionals) } } }));
  process.stdout.write(`${job.id}: ${job.state} (attempt ${job.attempt} of ${job.maxAttempts})\n`);
  return 0;
}

/** Rows as aligned columns under a header; the last column is not padded. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** An argument as a shell reads it back: in single quotes unless it is plain ("--label 'team=data eng'"). */
const shellWord = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** The command line that fetches the next page, when there is one: pasted into a shell, it runs as printed. */
function nextPage(command: string, args: string[], cursor: string | undefined): string {
  if (!cursor) return '';
  const kept: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    if (args[index] === '--cursor') index += 1;
    else if (!args[index]!.startsWith('--cursor=')) kept.push(args[index]!);
  }
  return `next page: sluice ${command} ${[...kept, '--cursor', cursor].map(shellWord).join(' ')}\n`;
}

async function listJobs(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parse('jobs', args, {
    state: { type: 'string' },
    pipeline: { type: 'string' },
    label: { type: 'string', multiple: true },
    from: { type: 'string' },
    until: { type: 'string' },
    search: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new UsageError(`jobs: unexpected argument "${positionals[0]}" (filter with --state, --pipeline, --label, --from, --until or --search)`);
  for (const pair of values.label ?? []) if (!pair.includes('=')) throw new UsageError(`--label "${pair}": NAME=VALUE`);
  if (values.state !== undefined && !(JOB_STATES as readonly string[]).includes(values.state)) throw new UsageError(`--state "${values.state}": one of ${JOB_STATES.join(', ')}`);
  const limit = limitOf(values.limit);
  const client = clientOf(config);
  const query = {
    ...(values.state !== undefined ? { state: values.state as JobState } : {}),
    ...(values.pipeline !== undefined ? { pipeline: values.pipeline } : {}),
    ...(values.label !== undefined ? { label: values.label } : {}),
    ...(values.from !== undefined ? { from: values.from } : {}),
    ...(values.until !== undefined ? { until: values.until } : {}),
    ...(values.search !== undefined ? { q: values.search } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
  };
  const page = await client.data(client.api.GET('/v1/jobs', { params: { query } }));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    return 0;
  }
  const rows = page.items.map((job) => [job.id, job.state, job.pipeline, String(job.attempt), job.createdAt, job.failure ? `${job.failure.class}: ${job.failure.message.split('\n')[0]!.slice(0, 80)}` : '']);
  process.stdout.write(table(['ID', 'STATE', 'PIPELINE', 'ATTEMPT', 'CREATED', 'FAILURE'], rows) + nextPage('jobs', args, page.nextCursor));
  return 0;
}

async function listLandings(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parse('landings', args, {
    state: { type: 'string' },
    source: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) throw new UsageError(`landings: unexpected argument "${positionals[0]}" (filter with --state and --source)`);
  const limit = limitOf(values.limit);
  const client = clientOf(config);
  const query = {
    // An unknown state is the server's to refuse (422, naming the states it knows).
    ...(values.state !== undefined ? { state: values.state as Landing['state'] } : {}),
    ...(values.source !== undefined ? { source: values.source } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
  };
  const page = await client.data(client.api.GET('/v1/landings', { params: { query } }));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    return 0;
  }
  // The fingerprint is the landing's id: what POST /v1/landings/{fingerprint}/readmit takes.
  const rows = page.items.map((landing) => [landing.fingerprint, landing.state, landing.source, landing.uri, landing.jobId ?? '', landing.reason?.split('\n')[0] ?? '']);
  process.stdout.write(table(['FINGERPRINT', 'STATE', 'SOURCE', 'FILE', 'JOB', 'REASON'], rows) + nextPage('landings', args, page.nextCursor));
  return 0;
}

function key(args: string[]): number {
  const { values, positionals } = parse('key', args, { name: { type: 'string' }, scopes: { type: 'string' } });
  if (positionals[0] !== 'create' || positionals.length > 1 || !values.name || !values.scopes) throw new UsageError('key: sluice key create --name NAME --scopes jobs:read,jobs:write');
  // Checked here to name the option: formatApiKeyEntry's own check speaks of "SLUICE_API_KEYS
  // entry 1", which the person typing this command has not written. The name is the entry's
  // first part (api-keys.ts), so ":" "," or "+" in it would break the entry.
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(values.name)) throw new UsageError(`key create --name "${values.name}": 1-64 characters of A-Z a-z 0-9 . _ -`);
  // Comma-separated as the usage says ("jobs:read, admin" too), or "+"-separated as the entry has them.
  const scopes = values.scopes.split(/[,+]/).map((scope) => scope.trim()).filter(Boolean);
  const unknown = scopes.find((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown !== undefined) throw new UsageError(`key create --scopes "${values.scopes}": ${unknown === undefined ? 'name at least one scope' : `unknown scope "${unknown}"`}; known: ${SCOPES.join(', ')}`);
  const secret = newApiKey();
  const entry = formatApiKeyEntry(values.name, scopes as Scope[], secret);
  process.stdout.write(`key (give it to the client; it is not stored): ${secret}\nSLUICE_API_KEYS entry (stores only its hash): ${entry}\n`);
  return 0;
}

/** Server roles take no arguments: settings come from the environment. */
function noArguments(command: string, args: string[]): void {
  const { positionals } = parse(command, args, {});
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument "${positionals[0]}" (server roles read their settings from SLUICE_* variables)`);
}

const CLIENT_COMMANDS: Record<string, (config: Config, args: string[]) => Promise<number>> = {
  submit,
  status,
  logs,
  cancel,
  retry,
  jobs: listJobs,
  landings: listLandings,
};

const SERVER_ROLES: Record<string, Roles> = {
  serve: { api: true, worker: true, watch: true },
  api: { api: true, worker: false },
  worker: { api: false, worker: true },
  watch: { api: false, worker: false, watch: true },
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Neither the usage nor minting a key reads a setting: a wrong one must not stand in their way.
  // Help asked for goes to stdout (to be paged or searched); the usage after a mistake, to stderr.
  if (command === 'help' || (command !== undefined && HELP_FLAGS.has(command))) {
    const topic = command === 'help' ? rest[0] : undefined;
    const usage = topic === undefined ? USAGE : commandUsage(topic);
    if (usage === undefined) throw new UsageError(`help: no command "${topic}"`);
    process.stdout.write(usage);
    return 0;
  }
  const known = command !== undefined ? commandUsage(command) : undefined;
  if (known !== undefined && asksForHelp(rest)) {
    process.stdout.write(known);
    return 0;
  }
  const roles = command !== undefined && Object.hasOwn(SERVER_ROLES, command) ? SERVER_ROLES[command] : undefined;
  if (roles) noArguments(command!, rest);
  if (command === 'key') return key(rest);
  const client = command !== undefined && Object.hasOwn(CLIENT_COMMANDS, command) ? CLIENT_COMMANDS[command] : undefined;
  if (!roles && !client) {
    process.stderr.write(USAGE);
    return command === undefined ? 0 : 2;
  }
  const config = loadConfig();
  if (roles) {
    await runServer(config, roles);
    return -1;
  }
  return client!(config, rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`sluice: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    const known = error instanceof ConfigError || error instanceof ApiError || error instanceof RedisDurabilityError;
    process.stderr.write(`sluice: ${known ? (error as Error).message : (error as Error).stack ?? String(error)}\n`);
    process.exitCode = known && !isUnavailable(error) && !(error instanceof ApiError && error.status >= 500) ? 2 : 1;
    // A server role refused after its connections opened (a lake, a port, a cluster that will
    // not do) would otherwise stay up on them, doing nothing, instead of exiting to be seen.
    process.exit();
  },
);
