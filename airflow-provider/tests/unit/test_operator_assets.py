"""Naming Sluice's outputs as Airflow Assets for a task's outlets."""

from __future__ import annotations

import warnings

import pytest
from airflow.sdk import Asset

from sluice_provider.assets import lake_table_asset, normalize_sluice_uri, sql_table_asset


def test_the_same_table_is_always_the_same_asset() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lake = lake_table_asset("meter_daily")
        sql = sql_table_asset("warehouse", "dbo.meter_daily")
    assert (lake.uri, lake.name) == ("sluice://lake/meter_daily", "sluice://lake/meter_daily")
    assert lake == lake_table_asset("meter_daily")
    assert sql.uri == "sluice://sql/warehouse/dbo.meter_daily"
    assert lake != lake_table_asset("meter_by_status")


def test_a_lake_root_names_the_table_where_it_lives() -> None:
    assert lake_table_asset("meter_daily", "s3://bucket/lake/").uri == "s3://bucket/lake/meter_daily"
    assert lake_table_asset("meter_daily", "file:///data/lake").uri == "file:///data/lake/meter_daily"


def test_asset_arguments_pass_through() -> None:
    asset = lake_table_asset("meter_daily", group="energy", extra={"owner": "team"})
    assert (asset.group, asset.extra) == ("energy", {"owner": "team"})
    assert isinstance(asset, Asset)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: lake_table_asset("Meter Daily"), "is not a lake table name"),
        (lambda: sql_table_asset("Warehouse", "t"), "is not a Sluice SQL connection name"),
        (lambda: sql_table_asset("warehouse", "dbo.t; drop table x"), "is not a SQL table"),
    ],
)
def test_names_sluice_would_refuse_are_refused_here(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_the_normalizer_accepts_only_the_two_shapes() -> None:
    from urllib.parse import urlsplit

    assert normalize_sluice_uri(urlsplit("sluice://LAKE/t")).netloc == "lake"
    assert normalize_sluice_uri(urlsplit("sluice://sql/warehouse/dbo.t")).geturl() == "sluice://sql/warehouse/dbo.t"
    for wrong in ("sluice://lake/a/b", "sluice://sql/warehouse", "sluice://other/t"):
        with pytest.raises(ValueError, match="asset URIs are"):
            normalize_sluice_uri(urlsplit(wrong))
