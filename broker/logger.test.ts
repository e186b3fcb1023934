import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('the logger', () => {
  it('redacts the URL a URL error carries, as a logged error shows it', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) });
    let error: unknown;
    try {
      new URL('postgres://loader:Sup3rSecret@db:99999/x');
    } catch (thrown) {
      error = thrown;
    }
    log.error({ err: error }, 'a load failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('Sup3rSecret');
    expect(JSON.parse(lines[0]!).err.input).toBe('[redacted]');
  });
});
