// Named SQL connections → sinks. A pipeline names a connection ("reporting"); its URL comes
// from the environment (SLUICE_SQL_REPORTING_URL), is read by config.ts and handed in here.
// The URL's scheme picks the dialect. Sinks are opened on first use and closed together.
import { createSqlSink } from './sql-sink.ts';
import { DIALECT_HINT, dialectOf } from './dialect-of.ts';
import { SinkError } from './sink-error.ts';
import type { Sink } from './sink.ts';

export type SinkSettings = {
  /** Setting name (see connectionSetting) → URL (postgres://, postgresql://, mssql://, sqlserver://). */
  urls: Readonly<Record<string, string>>;
  poolMax: number;
  connectTimeoutMs: number;
};

export interface SinkRegistry {
  /** The sink of a named connection; a SinkError (class user) names the setting when it is not configured. */
  get(connection: string): Sink;
  close(): Promise<void>;
}

/** The environment variable that holds a connection's URL. */
export const connectionSetting = (connection: string): string => `SLUICE_SQL_${connection.toUpperCase().replace(/-/g, '_')}_URL`;


export function openSinks(settings: SinkSettings): SinkRegistry {
  const open = new Map<string, Sink>();
  return {
    get(connection) {
      const existing = open.get(connection);
      if (existing) return existing;
      const url = settings.urls[connectionSetting(connection)];
      if (!url) throw new SinkError('user', `SQL connection "${connection}" is not configured: set ${connectionSetting(connection)}`);
      const common = { url, poolMax: settings.poolMax, connectTimeoutMs: settings.connectTimeoutMs };
      const dialect = dialectOf(url);
      if (!dialect) throw new SinkError('user', `${connectionSetting(connection)} ${DIALECT_HINT}`);
      // Each database's library (pg; mssql and tedious) is loaded only by a process that uses
      // it: a watcher or an API never does, and carries neither.
      const driver =
        dialect === 'postgres'
          ? import('./postgres/postgres-driver.ts').then((module) => module.createPostgresDriver(common))
          : import('./sqlserver/sqlserver-driver.ts').then((module) => module.createSqlServerDriver(common));
      const sink = createSqlSink(dialect, driver);
      open.set(connection, sink);
      return sink;
    },
    async close() {
      const sinks = [...open.values()];
      open.clear();
      await Promise.allSettled(sinks.map((sink) => sink.close()));
    },
  };
}
