import { describe, expect, it } from 'vitest';
import type { SqlOutput } from '../broker/core/pipeline.ts';
import { enforcesKeys, planSchema, runSqlColumns, type TableShape } from './schema-plan.ts';
import { SinkError } from './sink-error.ts';

const output: SqlOutput = { connection: 'r', table: 'dbo.t', keys: ['site_id', 'day'], mode: 'merge', partition_by: [] };
const run = runSqlColumns([
  { name: 'site_id', type: 'bigint', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'kwh', type: 'decimal(22,3)', nullable: true },
]);
const options = { namesIgnoreCase: false };
const table = (columns: TableShape['columns']): TableShape => ({ columns, uniqueKeys: [] });

function refusal(action: () => unknown): SinkError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SinkError);
    return error as SinkError;
  }
  throw new Error('expected a refusal');
}

describe('planSchema', () => {
  it('refuses a name longer than the server keeps (PostgreSQL: 63 bytes) before the table is made, naming it', () => {
    const limited = { namesIgnoreCase: false, nameLimit: { bytes: 63, server: 'PostgreSQL' } };
    const long = `kwh_${'é'.repeat(30)}`; // 64 bytes in 34 characters
    const error = refusal(() => planSchema('dbo.t', [...run, { name: long, type: { kind: 'float', bits: 64 }, nullable: true }], undefined, output, limited));
    expect(error.failureClass).toBe('user');
    expect(error.message).toBe(`column name "${long}" is 64 bytes long; PostgreSQL keeps names to 63 bytes: give it a shorter name in the pipeline`);
    expect(refusal(() => planSchema(`dbo.${'t'.repeat(64)}`, run, undefined, output, limited)).message).toMatch(/^table name "t{64}" is 64 bytes long/);
    expect(planSchema(`dbo.${'t'.repeat(63)}`, run, undefined, output, limited).kind).toBe('create');
  });

  it('creates a missing table with the merge keys NOT NULL and as its primary key', () => {
    const change = planSchema('dbo.t', run, undefined, output, options);
    expect(change).toMatchObject({ kind: 'create', primaryKey: ['site_id', 'day'] });
    expect(change.kind === 'create' && change.columns.map((column) => [column.name, column.nullable])).toEqual([
      ['site_id', false],
      ['day', false],
      ['kwh', true],
    ]);
  });

  it('adds a new run column as nullable and leaves the table otherwise alone', () => {
    const existing = table([
      { name: 'site_id', type: { kind: 'integer', bits: 64 }, nullable: false, declared: 'bigint' },
      { name: 'day', type: { kind: 'date' }, nullable: false, declared: 'date' },
    ]);
    expect(planSchema('dbo.t', run, existing, output, options)).toEqual({ kind: 'add', columns: [{ name: 'kwh', type: { kind: 'decimal', precision: 22, scale: 3 }, nullable: true }] });
  });

  it('accepts wider table columns and refuses narrower ones, naming the column and both types', () => {
    const wide = table([
      { name: 'site_id', type: { kind: 'decimal', precision: 38, scale: 0 }, nullable: false, declared: 'numeric(38,0)' },
      { name: 'day', type: { kind: 'date' }, nullable: false, declared: 'date' },
      { name: 'kwh', type: { kind: 'decimal', precision: 30, scale: 4 }, nullable: true, declared: 'numeric(30,4)' },
    ]);
    expect(planSchema('dbo.t', run, wide, output, options)).toEqual({ kind: 'none' });
    const narrow = table([...wide.columns.slice(0, 2), { name: 'kwh', type: { kind: 'decimal', precision: 12, scale: 3 }, nullable: true, declared: 'numeric(12,3)' }]);
    const error = refusal(() => planSchema('dbo.t', run, narrow, output, options));
    expect(error.failureClass).toBe('user');
    expect(error.message).toBe('column "kwh": the run has decimal(22,3) but table dbo.t declares numeric(12,3), which cannot hold it');
  });

  it('refuses a key the table lacks, and a key the run lacks', () => {
    const noDay = table([{ name: 'site_id', type: { kind: 'integer', bits: 64 }, nullable: false, declared: 'bigint' }]);
    expect(refusal(() => planSchema('dbo.t', run, noDay, output, options)).message).toMatch(/column "day" is a key of the load but table dbo\.t has no such column/);
    expect(refusal(() => planSchema('dbo.t', run, undefined, { ...output, keys: ['meter'] }, options)).message).toMatch(/key column "meter" is not a column of the run/);
  });

  it('matches names without case only where the server does', () => {
    const upper = table([
      { name: 'SITE_ID', type: { kind: 'integer', bits: 64 }, nullable: false, declared: 'bigint' },
      { name: 'DAY', type: { kind: 'date' }, nullable: false, declared: 'date' },
      { name: 'KWH', type: { kind: 'decimal', precision: 22, scale: 3 }, nullable: true, declared: 'decimal(22,3)' },
    ]);
    expect(planSchema('dbo.t', run, upper, output, { ...options, namesIgnoreCase: true })).toEqual({ kind: 'none' });
    expect(() => planSchema('dbo.t', run, upper, output, options)).toThrow(/"site_id" is a key/);
  });

  it('refuses run columns whose names or types cannot reach SQL, before any SQL is built', () => {
    expect(refusal(() => runSqlColumns([{ name: 'a]b', type: 'bigint', nullable: true }])).message).toMatch(/column "a\]b" cannot be loaded/);
    expect(refusal(() => runSqlColumns([{ name: 'tags', type: 'array<string>', nullable: true }])).message).toMatch(/Spark type array<string>/);
  });
});

describe('enforcesKeys', () => {
  const shaped = (uniqueKeys: string[][]): TableShape => ({ columns: [], uniqueKeys });
  it('holds for a table Sluice makes (its keys are its primary key) and for a unique index on the keys or on some of them', () => {
    expect(enforcesKeys(undefined, ['site_id', 'day'], options)).toBe(true);
    expect(enforcesKeys(shaped([['day', 'site_id']]), ['site_id', 'day'], options)).toBe(true);
    expect(enforcesKeys(shaped([['site_id']]), ['site_id', 'day'], options)).toBe(true);
  });
  it('does not for a table without one, or whose unique index takes in a column beyond the keys', () => {
    expect(enforcesKeys(shaped([]), ['site_id', 'day'], options)).toBe(false);
    expect(enforcesKeys(shaped([['site_id', 'day', 'kwh']]), ['site_id', 'day'], options)).toBe(false);
  });
  it('compares names as the server does', () => {
    expect(enforcesKeys(shaped([['SITE_ID', 'Day']]), ['site_id', 'day'], options)).toBe(false);
    expect(enforcesKeys(shaped([['SITE_ID', 'Day']]), ['site_id', 'day'], { namesIgnoreCase: true })).toBe(true);
  });
});
