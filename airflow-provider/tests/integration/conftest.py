"""Integration fixtures: a migrated Airflow metadata database (SQLite in the session's Airflow home)
and real Sluices (stand-in app or real Spark), each with an Airflow connection pointing at it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sluice_harness import SluiceStack

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


@pytest.fixture(scope="session", autouse=True)
def airflow_db() -> None:
    subprocess.run([AIRFLOW, "db", "migrate"], check=True, capture_output=True, text=True)


def _with_connection(stack: SluiceStack):
    env = stack.connection_uri_env()
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield stack
    finally:
        stack.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def sluice():
    """A Sluice whose runs are the stand-in app (pipeline `stand-in`), as connection sluice_default."""
    yield from _with_connection(SluiceStack("stand-in"))


@pytest.fixture(scope="module")
def sluice_real():
    """A Sluice running the example pipelines on real Spark, with meter readings landed, as sluice_default."""
    yield from _with_connection(SluiceStack("real"))
