// The `sluice` command line as a person runs it (node broker/bin/sluice.js), for what it does
// without a Sluice to talk to: minting keys, the usage, options it refuses before sending
// anything, and what it says when Sluice cannot be reached or breaks off a log. (Against a
// real API: test/integration/api-cli.test.ts.)
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { childProcessEnv } from './config.ts';

type Run = { code: number; stdout: string; stderr: string };

const SLUICE = resolve(import.meta.dirname, 'bin/sluice.js');

/** Runs `sluice` with only the given settings (none of the test runner's SLUICE_ variables). */
async function sluice(settings: Record<string, string>, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SLUICE, ...args], { env: { ...childProcessEnv(), ...settings }, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const listening = (server: Server): Promise<number> => new Promise((done) => server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port)));

let server: Server | undefined;
afterEach(async () => {
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  server = undefined;
});

describe('sluice key create', () => {
  it.each([
    [['--name', 'etl:prod', '--scopes', 'jobs:read'], /^sluice: key create --name "etl:prod": 1-64 characters/],
    [['--name', 'etl', '--scopes', 'jobs:reed'], /^sluice: key create --scopes "jobs:reed": unknown scope "jobs:reed"; known: jobs:read, jobs:write, admin/],
  ])('%j names the option it refuses, not a SLUICE_API_KEYS entry nobody wrote, and exits 2', async (options, message) => {
    const run = await sluice({}, 'key', 'create', ...options);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    // (The usage that follows mentions the entry the command prints.)
    expect(run.stderr.split('\n')[0]).not.toContain('SLUICE_API_KEYS entry');
    expect(run.stdout).toBe('');
  });

  it('takes scopes written with a space after the comma', async () => {
    const run = await sluice({}, 'key', 'create', '--name', 'etl', '--scopes', 'jobs:read, admin');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^SLUICE_API_KEYS entry \(stores only its hash\): etl:jobs:read\+admin:[0-9a-f]{64}$/m);
  });
});

describe('a wrong setting in the environment', () => {
  it('does not stand in the way of the usage or of minting a key, which read no setting', async () => {
    const help = await sluice({ SLUICE_API_PORT: 'eighty' }, 'help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: sluice <command> [options]');
    const jobsHelp = await sluice({ SLUICE_API_PORT: 'eighty' }, 'jobs', '--help');
    expect(jobsHelp.code, jobsHelp.stderr).toBe(0);
    const key = await sluice({ SLUICE_API_PORT: 'eighty' }, 'key', 'create', '--name', 'etl', '--scopes', 'jobs:read');
    expect(key.code, key.stderr).toBe(0);
  });
});

describe('--help after a command', () => {
  it.each([
    ['serve', '--help'],
    ['worker', '-h'],
    ['submit', 'meter-daily', '--input', 'landing/', '--help'],
    ['status', 'j0hzk3m4pqrstvwxyz', '-h'],
    ['logs', '--help'],
    ['cancel', '--help'],
    ['retry', '-h'],
    ['jobs', '--state', 'failed', '--help'],
    ['landings', '-h'],
    ['key', 'create', '--help'],
  ])('sluice %s … prints that command\'s usage on stdout and exits 0 (it was "unknown option", exit 2)', async (command, ...args) => {
    const run = await sluice({ SLUICE_URL: 'http://127.0.0.1:9' }, command, ...args);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^usage: sluice ${command} `));
    expect(run.stdout).not.toContain('client commands');
  });

  it('keeps the options under the command aligned, and answers `sluice help <command>` the same', async () => {
    const run = await sluice({}, 'jobs', '--help');
    const [first, second] = run.stdout.split('\n');
    expect(first).toMatch(/^usage: sluice jobs \[--state S\]/);
    expect(second!.indexOf('[--search TEXT]')).toBe(first!.indexOf('[--state S]'));
    expect((await sluice({}, 'help', 'jobs')).stdout).toBe(run.stdout);
    const unknown = await sluice({}, 'help', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^sluice: help: no command "frobnicate"/);
  });
});

describe('sluice landings', () => {
  it('shows each landing\'s fingerprint, the id that re-admitting takes, without --json', async () => {
    const fingerprint = '3f0c9d3b2a4e5f60718293a4b5c6d7e8f9012345';
    const landing = {
      fingerprint,
      source: 'fs:/landing/harp',
      path: 'broken.parquet',
      uri: '/landing/harp/broken.parquet',
      size: 12,
      state: 'quarantined',
      seenAt: '2026-01-01T10:00:00.000Z',
      quarantinedAt: '2026-01-01T10:00:03.000Z',
      reason: 'not a Parquet file\n(no PAR1 footer)',
    };
    let asked = '';
    server = createServer((request, response) => {
      asked = request.url ?? '';
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ items: [landing] }));
    });
    const port = await listening(server);
    const run = await sluice({ SLUICE_URL: `http://127.0.0.1:${port}` }, 'landings', '--state', 'quarantined');
    expect(run.code, run.stderr).toBe(0);
    expect(asked).toBe('/v1/landings?state=quarantined');
    const [header, row] = run.stdout.split('\n');
    expect(header).toMatch(/^FINGERPRINT +STATE +SOURCE +FILE +JOB +REASON$/);
    expect(row).toMatch(new RegExp(`^${fingerprint} +quarantined +fs:/landing/harp +/landing/harp/broken\\.parquet +not a Parquet file$`));
  });
});

describe('sluice submit', () => {
  it('refuses a --priority that is not a whole number before sending anything (it went out as null)', async () => {
    const run = await sluice({ SLUICE_URL: 'http://127.0.0.1:9' }, 'submit', 'meter-daily', '--priority', 'high');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^sluice: --priority "high": give a whole number from 1 \(served first\) to 1000/);
  });
});

describe('a Sluice that cannot be reached', () => {
  it('says why and exits 1, as for a 503: worth trying again, not a command to fix', async () => {
    server = createServer();
    const port = await listening(server);
    await new Promise((done) => server!.close(done));
    server = undefined;
    const run = await sluice({ SLUICE_URL: `http://127.0.0.1:${port}` }, 'status', 'j0hzk3m4pqrstvwxyz');
    expect(run.stderr).toBe(`sluice: cannot reach Sluice at http://127.0.0.1:${port} (SLUICE_URL): fetch failed (connect ECONNREFUSED 127.0.0.1:${port})\n`);
    expect(run.code).toBe(1);
  });

  it('says a followed log broke off (Sluice restarting), without a stack trace', async () => {
    server = createServer((request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.write('line one\n');
      setTimeout(() => request.socket.destroy(), 100);
    });
    const port = await listening(server);
    const run = await sluice({ SLUICE_URL: `http://127.0.0.1:${port}` }, 'logs', 'j1', '--follow');
    expect(run.stdout).toBe('line one\n');
    expect(run.stderr).toMatch(new RegExp(`^sluice: the log of j1 from Sluice at http://127.0.0.1:${port} \\(SLUICE_URL\\) broke off \\(.+\\): run the command again to go on\\n$`));
    expect(run.code).toBe(1);
  });
});
