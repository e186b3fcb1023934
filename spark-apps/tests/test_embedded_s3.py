"""The embedded engine on an S3 lake: inputs read and the run written through pyarrow's S3
client (DuckDB's httpfs extension is not used), against a real MinIO as test/harness starts it
(the binary scripts/setup builds, pinned in scripts/versions.env)."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from conftest import SPARK_APPS, Landing
from test_aggregate import spec_document

REPO = SPARK_APPS.parent


def minio_binary() -> Path:
    versions = dict(
        line.split("=", 1) for line in (REPO / "scripts" / "versions.env").read_text().splitlines() if "=" in line and not line.startswith("#")
    )
    version = versions["MINIO_VERSION"].strip().strip('"')
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "sluice" / f"minio-{version}" / "minio"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def minio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    binary = minio_binary()
    if not binary.exists():
        pytest.skip(f"MinIO is not built at {binary}: run scripts/setup")
    folder = tmp_path_factory.mktemp("minio")
    port, console = free_port(), free_port()
    user, password = f"sluice-{secrets.token_hex(6)}", secrets.token_hex(24)
    environment = {**os.environ, "MINIO_ROOT_USER": user, "MINIO_ROOT_PASSWORD": password, "MINIO_BROWSER": "off", "MINIO_UPDATE": "off", "MINIO_CALLHOME_ENABLE": "off"}
    command = [str(binary), "server", "--address", f"127.0.0.1:{port}", "--console-address", f"127.0.0.1:{console}", str(folder / "data")]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/minio/health/live", timeout=1) as response:
                    if response.headers.get("x-minio-server-status") != "offline":
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "MinIO did not start"
            time.sleep(0.1)
        yield {"AWS_ACCESS_KEY_ID": user, "AWS_SECRET_ACCESS_KEY": password, "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_an_s3_landing_commits_an_s3_run(minio: dict[str, str], landing: Landing, tmp_path: Path) -> None:
    s3 = pafs.S3FileSystem(
        access_key=minio["AWS_ACCESS_KEY_ID"], secret_key=minio["AWS_SECRET_ACCESS_KEY"], region="us-east-1",
        endpoint_override=minio["AWS_ENDPOINT_URL"].removeprefix("http://"), scheme="http", allow_bucket_creation=True,
    )  # fmt: skip
    s3.create_dir("lake")
    inputs = []
    for path in landing.paths:
        # A name DuckDB's read_parquet would take for a glob: read literally, through pyarrow.
        key = f"lake/landing/{{x}}[1]-{path.name}"
        pafs.copy_files(str(path), key, destination_filesystem=s3)
        inputs.append(f"s3://{key}")
    spec = spec_document(inputs, tmp_path / "unused", job_id="job-40")
    spec["output"]["run_uri"] = "s3a://lake/meter_daily/run=job-40-1"
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    environment = {**os.environ, **minio}
    command = [sys.executable, str(SPARK_APPS / "run_embedded.py"), "--spec", str(spec_path), "--threads", "2"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    # The keys travel in the environment only; no log line shows them.
    assert minio["AWS_SECRET_ACCESS_KEY"] not in result.stderr

    manifest = json.loads(s3.open_input_stream("lake/meter_daily/run=job-40-1/_manifest.json").read())
    assert manifest["engine"] == "embedded" and manifest["rows_in"] == len(landing.readings)
    expected_groups = {(r.site, r.ts.date()) for r in landing.readings if r.status == "ok"}
    assert manifest["rows_out"] == len(expected_groups)
    listed = sorted(info.base_name for info in s3.get_file_info(pafs.FileSelector("lake/meter_daily/run=job-40-1")))
    assert listed == sorted(["_manifest.json", *(file["name"] for file in manifest["files"])])
    rows = sum(pq.read_table(f"lake/meter_daily/run=job-40-1/{file['name']}", filesystem=s3).num_rows for file in manifest["files"])
    assert rows == manifest["rows_out"]
