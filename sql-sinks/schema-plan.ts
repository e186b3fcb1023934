// Decides what a load does to the target table's shape before any row moves: create it,
// add the run's new columns (always nullable, so readers and older runs are unaffected), or
// refuse with a message naming the column. Pure: the drivers read the catalog and run the DDL.
import type { SqlOutput } from '../broker/core/pipeline.ts';
import { checkColumnName, parseTableName } from './identifiers.ts';
import { SinkError } from './sink-error.ts';
import type { RunColumn } from './sink.ts';
import { describeType, fits, sqlTypeOfSpark, type SqlColumn, type SqlType } from './sql-types.ts';

/** A table as the catalog describes it; `type` is undefined for a type Sluice never writes. */
export type TableColumn = { name: string; type: SqlType | undefined; nullable: boolean; declared: string };
export type TableShape = { columns: TableColumn[]; uniqueKeys: string[][] };

export type SchemaChange =
  | { kind: 'create'; columns: SqlColumn[]; primaryKey: string[] }
  | { kind: 'add'; columns: SqlColumn[] }
  | { kind: 'none' };

/**
 * Whether the table itself refuses a second row for one merge key: a unique index (or primary
 * key) on the keys or on some of them. A table Sluice makes has its keys as primary key; a
 * DBA's table may have none, and a merge then inserts a run's rows that repeat a key as they
 * are, as many times as they repeat.
 */
export function enforcesKeys(table: TableShape | undefined, keys: readonly string[], options: PlanOptions): boolean {
  if (!table) return true;
  const same = (a: string, b: string) => (options.namesIgnoreCase ? a.toLowerCase() === b.toLowerCase() : a === b);
  return table.uniqueKeys.some((unique) => unique.length > 0 && unique.every((column) => keys.some((key) => same(key, column))));
}

export type PlanOptions = {
  /** Whether the server compares column names without case (SQL Server's usual collations). */
  namesIgnoreCase: boolean;
  /** The longest name the server keeps whole, in bytes of UTF-8, when it is shorter than a pipeline may write (PostgreSQL: 63). */
  nameLimit?: { bytes: number; server: string };
};

const utf8Bytes = (name: string): number => new TextEncoder().encode(name).length;

/**
 * Refuses a name the server would cut short: the table would be made with the cut name, and
 * every later load, looking for the whole one, would try to add the column again and fail.
 */
function checkNameLengths(tableName: string, run: readonly SqlColumn[], limit: PlanOptions['nameLimit']): void {
  if (!limit) return;
  const table = parseTableName(tableName);
  const names: [string, string][] = [...(table.schema ? [['schema', table.schema] as [string, string]] : []), ['table', table.table], ...run.map((column): [string, string] => ['column', column.name])];
  for (const [what, name] of names) {
    const bytes = utf8Bytes(name);
    if (bytes > limit.bytes) {
      throw new SinkError('user', `${what} name "${name}" is ${bytes} bytes long; ${limit.server} keeps names to ${limit.bytes} bytes: give it a shorter name in the pipeline`);
    }
  }
}

/** The run's columns as SQL columns; an unloadable name or type fails the load as the pipeline's fault. */
export function runSqlColumns(columns: readonly RunColumn[]): SqlColumn[] {
  if (columns.length === 0) throw new SinkError('user', 'the run has no columns to load');
  return columns.map((column) => {
    checkColumnName(column.name);
    const type = sqlTypeOfSpark(column.type);
    if (!type) throw new SinkError('user', `column "${column.name}" has Spark type ${column.type}, which no SQL column type holds`);
    return { name: column.name, type, nullable: column.nullable };
  });
}

export function planSchema(tableName: string, run: readonly SqlColumn[], table: TableShape | undefined, output: SqlOutput, options: PlanOptions): SchemaChange {
  checkNameLengths(tableName, run, options.nameLimit);
  const runNames = new Set(run.map((column) => column.name));
  for (const [field, label] of [['keys', 'key'], ['partition_by', 'partition']] as const) {
    for (const name of output[field]) {
      if (!runNames.has(name)) throw new SinkError('user', `${label} column "${name}" is not a column of the run (it has ${[...runNames].join(', ')})`);
    }
  }
  const keys = output.mode === 'merge' ? output.keys : [];
  if (!table) {
    const columns = run.map((column) => (keys.includes(column.name) ? { ...column, nullable: false } : column));
    return { kind: 'create', columns, primaryKey: keys };
  }

  const same = (a: string, b: string) => (options.namesIgnoreCase ? a.toLowerCase() === b.toLowerCase() : a === b);
  const added: SqlColumn[] = [];
  for (const column of run) {
    const existing = table.columns.find((candidate) => same(candidate.name, column.name));
    if (!existing) {
      if (output.keys.includes(column.name) || output.partition_by.includes(column.name)) {
        throw new SinkError('user', `column "${column.name}" is a key of the load but table ${tableName} has no such column`);
      }
      added.push({ ...column, nullable: true });
      continue;
    }
    if (!existing.type || !fits(column.type, existing.type)) {
      throw new SinkError(
        'user',
        `column "${column.name}": the run has ${describeType(column.type)} but table ${tableName} declares ${existing.declared}, which cannot hold it`,
      );
    }
  }
  return added.length > 0 ? { kind: 'add', columns: added } : { kind: 'none' };
}
