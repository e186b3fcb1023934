// Which dialect a connection URL speaks. Kept apart from the drivers so that reading the
// configuration does not load them.
import type { Dialect } from './sink.ts';

/** The dialect of a connection URL: by its scheme, or SQL Server for an ADO string (Server=...;Database=...). */
export function dialectOf(url: string): Dialect | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mssql' || scheme === 'sqlserver') return 'sqlserver';
  if (!scheme && /^\s*(server|data source|address)\s*=/i.test(url)) return 'sqlserver';
  return undefined;
}

export const DIALECT_HINT = 'must start with postgres://, postgresql://, mssql:// or sqlserver://, or be an ADO string (Server=...;Database=...)';
