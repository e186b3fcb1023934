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
    expect(help.stderr).toContain('usage: sluice <command> [options]');
    const key = await sluice({ SLUICE_API_PORT: 'eighty' }, 'key', 'create', '--name', 'etl', '--scopes', 'jobs:read');
    expect(key.code, key.stderr).toBe(0);
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
