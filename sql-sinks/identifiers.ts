// SQL identifiers: every table and column name is checked against a strict pattern before
// any SQL is built, then quoted by the dialect. Values never go into SQL text; they travel
// as parameters or bulk rows.
import { ColumnNameSchema, SqlTableNameSchema } from '../broker/core/pipeline.ts';
import { SinkError } from './sink-error.ts';

export type TableName = { schema: string | undefined; table: string };

export function parseTableName(name: string): TableName {
  if (!SqlTableNameSchema.safeParse(name).success) {
    throw new SinkError('user', `SQL table name "${name}" is not "table" or "schema.table" made of letters, digits and "_"`);
  }
  const [first, second] = name.split('.');
  return second === undefined ? { schema: undefined, table: first! } : { schema: first, table: second };
}

export function checkColumnName(name: string): string {
  if (!ColumnNameSchema.safeParse(name).success) {
    throw new SinkError('user', `column "${name}" cannot be loaded into SQL: column names are letters, digits and "_", starting with a letter or "_"`);
  }
  return name;
}

/** `"a""b"`-style quoting with the dialect's quote characters (checked names hold neither). */
export function quoteWith(open: string, close: string): (name: string) => string {
  return (name) => `${open}${name.split(close).join(close + close)}${close}`;
}

/** `schema.table` (or `table`), each part quoted by the dialect's `quote`. */
export function qualifiedWith(quote: (name: string) => string): (table: TableName) => string {
  return (table) => (table.schema ? `${quote(table.schema)}.${quote(table.table)}` : quote(table.table));
}
