"""The provider as Airflow sees it: its provider info, and discovery through the entry point."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import airflow
import jsonschema
import pytest
import tomllib

from sluice_provider import get_provider_info
from sluice_provider.assets import normalize_sluice_uri
from sluice_provider.hooks.sluice import SluiceHook

PROVIDER = Path(__file__).resolve().parents[2]
AIRFLOW_DIR = Path(airflow.__file__).parent
PACKAGE = "airflow-provider-sluice"


def pyproject() -> dict:
    return tomllib.loads((PROVIDER / "pyproject.toml").read_text())["project"]


def test_provider_info_is_valid_for_airflows_runtime_schema() -> None:
    schema = json.loads((AIRFLOW_DIR / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_connection_type_is_valid_for_the_stricter_provider_yaml_schema() -> None:
    # The runtime schema lets anything through under connection-types; provider.yaml's schema
    # says what conn-fields and ui-field-behaviour may hold.
    strict = json.loads((AIRFLOW_DIR / "provider.yaml.schema.json").read_text())["properties"]["connection-types"]
    jsonschema.validate(get_provider_info()["connection-types"], strict)


def test_package_name_and_version_match_the_distribution() -> None:
    info = get_provider_info()
    assert info["package-name"] == pyproject()["name"] == PACKAGE
    assert info["versions"][0] == pyproject()["version"]


def test_every_class_and_module_it_names_imports() -> None:
    info = get_provider_info()
    classes = [entry["hook-class-name"] for entry in info["connection-types"]] + info["extra-links"]
    classes += [entry["handler"] for entry in info["asset-uris"]]
    for path in classes:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name), path
    for section in ("hooks", "operators", "sensors", "triggers"):
        for entry in info[section]:
            for module in entry["python-modules"]:
                assert importlib.util.find_spec(module) is not None, f"{section}: {module}"


def test_the_connection_form_relabels_and_hides_fields() -> None:
    (conn_type,) = get_provider_info()["connection-types"]
    behaviour = conn_type["ui-field-behaviour"]
    assert behaviour["relabeling"] == {"host": "Base URL", "password": "API key"}
    assert set(behaviour["hidden-fields"]) == {"schema", "login", "port"}
    assert set(conn_type["conn-fields"]) == {"verify", "ca_bundle", "timeout"}


def test_the_hook_declares_the_same_connection_type() -> None:
    (conn_type,) = get_provider_info()["connection-types"]
    assert (SluiceHook.conn_type, SluiceHook.conn_name_attr, SluiceHook.default_conn_name) == (
        conn_type["connection-type"],
        "sluice_conn_id",
        "sluice_default",
    )


# ------------------------------------------------------------- discovery by the installed package


def _installed() -> bool:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution(PACKAGE)
    except PackageNotFoundError:
        return False
    return True


requires_install = pytest.mark.skipif(
    not _installed(),
    reason=f"{PACKAGE} is not installed in this environment (pip install -e airflow-provider): "
    "Airflow finds providers through installed entry points only",
)


@requires_install
def test_providers_manager_discovers_the_provider() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert PACKAGE in manager.providers
    assert manager.providers[PACKAGE].version == pyproject()["version"]
    assert "sluice_provider.links.SluiceJobLink" in manager.extra_links_class_names
    behaviour = manager.field_behaviours["sluice"]
    assert behaviour["relabeling"]["password"] == "API key"
    assert "extra__sluice__verify" in manager.connection_form_widgets


@requires_install
def test_the_sluice_connection_type_maps_to_sluice_hook() -> None:
    from airflow.sdk import Connection
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    hook_info = ProvidersManagerTaskRuntime().hooks["sluice"]
    assert hook_info is not None
    assert hook_info.hook_class_name == "sluice_provider.hooks.sluice.SluiceHook"
    assert hook_info.connection_testable
    hook = Connection(conn_id="sluice_x", conn_type="sluice", host="sluice.internal", password="k").get_hook()
    assert isinstance(hook, SluiceHook)
    assert hook.sluice_conn_id == "sluice_x"


@requires_install
def test_sluice_asset_uris_are_normalized_by_the_provider() -> None:
    from airflow.sdk import Asset
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    assert ProvidersManagerTaskRuntime().asset_uri_handlers["sluice"] is normalize_sluice_uri
    assert Asset(uri="sluice://LAKE/meter_daily/").uri == "sluice://lake/meter_daily"
    with pytest.raises(ValueError, match="sluice://lake/<table>"):
        Asset(uri="sluice://laek/meter_daily")
