// Which dialect a connection URL speaks. Kept apart from the drivers so that reading the
// configuration does not load them.
import type { Dialect } from './sink.ts';
import { credentialEscapeProblem } from '../broker/core/url-credentials.ts';

/** The dialect of a connection URL: by its scheme, or SQL Server for an ADO string (Server=...;Database=...). */
export function dialectOf(url: string): Dialect | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mssql' || scheme === 'sqlserver') return 'sqlserver';
  if (!scheme && /^\s*(server|data source|address)\s*=/i.test(url)) return 'sqlserver';
  return undefined;
}

/**
 * What is wrong with a connection URL of the scheme://user:password@host form that no driver
 * could open, or undefined (ADO strings are the SQL Server driver's to read). Never repeats the
 * URL: it holds the password, as does Node's own URL error, which is why it is not passed on.
 */
export function connectionUrlProblem(text: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'cannot be parsed as a URL (a port over 65535, a space, or a character that must be escaped?)';
  }
  return credentialEscapeProblem(url);
}

export const DIALECT_HINT = 'must start with postgres://, postgresql://, mssql:// or sqlserver://, or be an ADO string (Server=...;Database=...)';
