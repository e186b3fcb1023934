// `make demo` keeps PostgreSQL's cluster in the project folder, which the server, run as user
// postgres when the demo runs as root, must be able to reach: a clone under /root (mode 700)
// could not, and initdb failed on a fresh machine. postgresFolder() picks a folder it can reach.
import { chmod, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PostgresServer, postgresFolder } from '../harness/postgres-server.ts';

const asRoot = process.getuid?.() === 0;
if (!asRoot) console.warn('demo PostgreSQL folder test skipped: it needs root (PostgreSQL then runs as user postgres)');

describe.runIf(asRoot)('the demo\'s PostgreSQL folder, run as root', () => {
  it('stays in a project folder not made yet under open folders, and moves out of a closed one, where the server then starts', async () => {
    const top = await mkdtemp(join(tmpdir(), 'demo-pg-'));
    await chmod(top, 0o755);
    expect(postgresFolder(join(top, 'clone', '.sluice', 'demo', 'postgres'))).toEqual({ dir: join(top, 'clone', '.sluice', 'demo', 'postgres'), moved: false });

    const home = join(top, 'root-home');
    await mkdir(join(home, 'clone'), { recursive: true });
    await chmod(home, 0o700);
    const chosen = postgresFolder(join(home, 'clone', '.sluice', 'demo', 'postgres'));
    expect(chosen.moved).toBe(true);
    expect(chosen.dir.startsWith(home)).toBe(false);
    const server = await PostgresServer.start({ dir: chosen.dir });
    try {
      expect(await server.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
