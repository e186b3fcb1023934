// The test oracle for meter-daily: DuckDB computes, from the same landing files, what the
// Spark job should have written, and reads what it did write. Nothing is pasted from an
// earlier run.
import { pythonJson } from './python.ts';

export type DailyRow = { site: string; day: string; readings: number; kwh_sum: number; kwh_avg: number; kwh_max: number; p94: number; p96: number };
export type WrittenRow = { site: string; day: string; readings: number; kwh_sum: number; kwh_avg: number; kwh_max: number; kwh_p95: number };

const ORACLE = `
import sys, json, duckdb
landing, run = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET TimeZone='UTC'")
expected = con.execute(f"""
  SELECT site, CAST(CAST(ts AS TIMESTAMPTZ) AS DATE)::VARCHAR AS day, count(*) AS readings, sum(kwh) AS kwh_sum, avg(kwh) AS kwh_avg,
         max(kwh) AS kwh_max, quantile_disc(kwh, 0.94) AS p94, quantile_disc(kwh, 0.96) AS p96
  FROM read_parquet('{landing}/**/*.parquet') WHERE status = 'ok' GROUP BY ALL ORDER BY site, day""").fetchall()
written = con.execute(f"""
  SELECT site, day::VARCHAR AS day, readings, kwh_sum, kwh_avg, kwh_max, kwh_p95
  FROM read_parquet('{run}/part-*.parquet') ORDER BY site, day""").fetchall()
cols_e = ["site","day","readings","kwh_sum","kwh_avg","kwh_max","p94","p96"]
cols_w = ["site","day","readings","kwh_sum","kwh_avg","kwh_max","kwh_p95"]
print(json.dumps({"expected": [dict(zip(cols_e, r)) for r in expected], "written": [dict(zip(cols_w, r)) for r in written]}))
`;

export function meterDailyOracle(landingDir: string, runDir: string): Promise<{ expected: DailyRow[]; written: WrittenRow[] }> {
  return pythonJson(ORACLE, [landingDir, runDir]);
}
