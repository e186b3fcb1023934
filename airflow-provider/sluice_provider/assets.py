"""Sluice's outputs as Airflow Assets, to name in a task's ``outlets`` (or a DAG's schedule).

    lake_table_asset("meter_daily")                       -> sluice://lake/meter_daily
    lake_table_asset("meter_daily", "s3://bucket/lake")   -> s3://bucket/lake/meter_daily
    sql_table_asset("warehouse", "dbo.meter_daily")       -> sluice://sql/warehouse/dbo.meter_daily

The same arguments always give the same asset (its name is its URI), so a producing task and a
consuming DAG that both use these helpers meet. ``sluice://`` URIs are registered by the
provider (``asset-uris`` in its provider info) with `normalize_sluice_uri`, which rejects a URI
of the wrong shape when the DAG is parsed. Pass ``lake_uri`` (the lake root Sluice writes to) to
name a lake table by where it really lives.

When SluiceSubmitJobOperator succeeds it adds to each outlet's asset event what the job did
(`outlet_event_extra`): job id, rows, the run's URI, and for a SQL table the matching load.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

from airflow.sdk import Asset

SCHEME = "sluice"
_LAKE = "lake"
_SQL = "sql"
# The shapes Sluice itself accepts for a lake table, a SQL connection and a SQL table.
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_SQL_TABLE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,127}\.)?[A-Za-z_][A-Za-z0-9_]{0,127}$")


def lake_table_asset(table: str, lake_uri: str | None = None, **asset_kwargs: Any) -> Asset:
    """The lake table a pipeline writes (``outputs.lake.table``).

    :param lake_uri: the lake root (``file:///data/lake``, ``s3://bucket/lake``); without it the
        table is named ``sluice://lake/<table>``.
    :param asset_kwargs: passed on to ``Asset`` (``extra``, ``group``, ``watchers``, ...).
    """
    _check(table, _NAME, "a lake table name (a-z, 0-9, '_' and '-', starting with a letter)")
    uri = f"{lake_uri.rstrip('/')}/{table}" if lake_uri else f"{SCHEME}://{_LAKE}/{table}"
    return Asset(uri=uri, **asset_kwargs)


def sql_table_asset(sink: str, table: str, **asset_kwargs: Any) -> Asset:
    """A SQL table a pipeline loads (``outputs.sql``): ``sink`` is the pipeline's SQL connection
    name, ``table`` is ``table`` or ``schema.table``."""
    _check(sink, _NAME, "a Sluice SQL connection name (a-z, 0-9, '_' and '-', starting with a letter)")
    _check(table, _SQL_TABLE, 'a SQL table ("table" or "schema.table")')
    return Asset(uri=f"{SCHEME}://{_SQL}/{sink}/{table}", **asset_kwargs)


def normalize_sluice_uri(parts: SplitResult) -> SplitResult:
    """Airflow's normalizer for ``sluice://`` asset URIs: ``sluice://lake/<table>`` or
    ``sluice://sql/<connection>/<table>``; anything else is a mistake caught at parse time."""
    kind = parts.netloc.lower()
    segments = [segment for segment in parts.path.split("/") if segment]
    if kind == _LAKE and len(segments) == 1 and _NAME.match(segments[0]):
        return parts._replace(netloc=kind)
    if kind == _SQL and len(segments) == 2 and _NAME.match(segments[0]) and _SQL_TABLE.match(segments[1]):
        return parts._replace(netloc=kind)
    raise ValueError(
        f"{SCHEME}:// asset URIs are {SCHEME}://lake/<table> or {SCHEME}://sql/<connection>/<table>, "
        f"not {parts.geturl()!r}"
    )


def outlet_event_extra(asset_uri: str, job: dict[str, Any]) -> dict[str, Any]:
    """What a succeeded job tells about one of its task's outlets, for the asset event."""
    output = job.get("output") or {}
    extra: dict[str, Any] = {
        "sluice_job_id": job.get("id"),
        "pipeline": job.get("pipeline"),
        "rows_out": output.get("rowsOut"),
        "run_uri": output.get("runUri"),
    }
    parts = urlsplit(asset_uri)
    segments = [segment for segment in parts.path.split("/") if segment]
    if parts.scheme == SCHEME and parts.netloc == _SQL and len(segments) == 2:
        sink = f"{segments[0]}:{segments[1]}"
        for load in job.get("loads") or []:
            if load.get("sink") == sink:
                extra["sql_load"] = {key: load.get(key) for key in ("table", "mode", "inserted", "updated", "deleted")}
    return extra


def _check(value: str, pattern: re.Pattern[str], what: str) -> None:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"{value!r} is not {what}")
