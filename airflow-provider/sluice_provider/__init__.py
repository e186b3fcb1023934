"""Apache Airflow provider for Sluice, the job broker for Spark.

Airflow finds the provider through the ``apache_airflow_provider`` entry point, which calls
`get_provider_info`. This module imports nothing from Airflow: Airflow reads it while it
discovers providers, before any of the provider's classes are needed.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_INTEGRATION = "Sluice"


def get_provider_info() -> dict[str, Any]:
    """The provider's description, valid against Airflow's provider_info.schema.json."""
    return {
        "package-name": "airflow-provider-sluice",
        "name": "Sluice",
        "description": "Sluice, the job broker for Spark: submit and follow Sluice jobs from DAGs, "
        "wait for a pipeline's jobs, and schedule DAGs on Sluice's events.",
        "versions": [__version__],
        "integrations": [{"integration-name": _INTEGRATION, "tags": ["service"]}],
        "hooks": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": ["sluice_provider.hooks.sluice", "sluice_provider.hooks.events"],
            }
        ],
        "operators": [{"integration-name": _INTEGRATION, "python-modules": ["sluice_provider.operators.job"]}],
        "sensors": [{"integration-name": _INTEGRATION, "python-modules": ["sluice_provider.sensors.job"]}],
        "triggers": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": ["sluice_provider.triggers.job", "sluice_provider.triggers.events"],
            }
        ],
        "connection-types": [
            {
                "hook-class-name": "sluice_provider.hooks.sluice.SluiceHook",
                "hook-name": "Sluice",
                "connection-type": "sluice",
                "conn-fields": {
                    "verify": {
                        "label": "Verify TLS certificate",
                        "description": "Check Sluice's TLS certificate (turn off only for a test server).",
                        "schema": {"type": ["boolean", "null"], "default": True},
                    },
                    "ca_bundle": {
                        "label": "CA bundle",
                        "description": "Path to the CA certificates that signed Sluice's certificate, "
                        "when not the system's.",
                        "schema": {"type": ["string", "null"]},
                    },
                    "timeout": {
                        "label": "Request timeout (seconds)",
                        "description": "How long one request to Sluice may take.",
                        "schema": {"type": ["number", "null"], "default": 30, "minimum": 1},
                    },
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login", "port"],
                    "relabeling": {"host": "Base URL", "password": "API key"},
                    "placeholders": {
                        "host": "https://sluice.internal:8080",
                        "password": "a Sluice API key with scope jobs:write",
                    },
                },
            }
        ],
        "extra-links": ["sluice_provider.links.SluiceJobLink", "sluice_provider.links.SparkUiLink"],
        "asset-uris": [{"schemes": ["sluice"], "handler": "sluice_provider.assets.normalize_sluice_uri"}],
    }
