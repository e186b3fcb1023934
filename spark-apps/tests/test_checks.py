"""The footer-only input checks: every way a landing can be wrong is a data failure that
names the file and, where there is one, the column."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import READING_COLUMNS, Landing
from sluice_spark import storage
from sluice_spark.checks import check_input, check_inputs, spark_type_name
from sluice_spark.failures import DataFailure


def write_table(path: Path, columns: dict[str, pa.Array], **options: object) -> str:
    pq.write_table(pa.table(columns), path, **options)
    return str(path)


def test_valid_inputs_report_footer_rows_and_file_sizes(landing: Landing) -> None:
    locations = tuple(str(path) for path in landing.paths)
    stats = check_inputs(locations, READING_COLUMNS)
    assert [(item.path, item.rows, item.bytes) for item in stats] == [
        (str(path), pq.ParquetFile(path).metadata.num_rows, path.stat().st_size) for path in landing.paths
    ]
    assert sum(item.rows for item in stats) == len(landing.readings)


def test_file_uris_are_accepted(landing: Landing) -> None:
    uri = f"file://{landing.paths[0]}"
    assert check_input(uri, READING_COLUMNS).path == uri


def test_extra_columns_are_fine(tmp_path: Path) -> None:
    location = write_table(tmp_path / "wide.parquet", {"site": pa.array(["a"]), "extra": pa.array([1])})
    assert check_input(location, {"site": "string"}).rows == 1


def test_a_missing_file_is_a_data_failure(tmp_path: Path) -> None:
    location = str(tmp_path / "gone.parquet")
    with pytest.raises(DataFailure, match="gone.parquet: file not found") as failure:
        check_input(location, READING_COLUMNS)
    assert failure.value.input == location


GARBAGE_FOOTER = b"PAR1" + b"\7" * 4096 + (100).to_bytes(4, "little") + b"PAR1"


@pytest.mark.parametrize(
    "content",
    [b"", b"not parquet at all, just text", b"PAR1" + b"\0" * 64, GARBAGE_FOOTER],
    ids=["empty", "text", "no-footer-magic", "garbage-footer"],
)
def test_a_corrupt_file_is_a_data_failure(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "corrupt.parquet"
    path.write_bytes(content)
    with pytest.raises(DataFailure, match=f"input {path}: not a readable Parquet file"):
        check_input(str(path), READING_COLUMNS)


def test_a_missing_column_names_the_file_and_the_column(tmp_path: Path) -> None:
    location = write_table(tmp_path / "narrow.parquet", {"site": pa.array(["a"])})
    with pytest.raises(DataFailure) as failure:
        check_input(location, {"site": "string", "kwh": "double"})
    assert failure.value.message == f"input {location}: column 'kwh' is missing (expected double)"


def test_a_column_of_another_type_names_the_file_the_column_and_both_types(tmp_path: Path) -> None:
    location = write_table(tmp_path / "typed.parquet", {"kwh": pa.array(["1.5"])})
    with pytest.raises(DataFailure) as failure:
        check_input(location, {"kwh": "double"})
    assert failure.value.message == f"input {location}: column 'kwh' is string, expected double"


def test_nanosecond_timestamps_are_refused_because_spark_cannot_read_them(tmp_path: Path) -> None:
    timestamps = pa.array([1_700_000_000_000_000_000], pa.timestamp("ns", tz="UTC"))
    location = write_table(tmp_path / "nanos.parquet", {"ts": timestamps})
    with pytest.raises(DataFailure, match=f"input {location}: column 'ts' holds nanosecond timestamps"):
        check_input(location, {"ts": "timestamp"})


def test_decimals_compare_by_precision_and_scale(tmp_path: Path) -> None:
    location = write_table(tmp_path / "money.parquet", {"price": pa.array([1], pa.decimal128(10, 2))})
    assert check_input(location, {"price": "decimal(10, 2)"}).rows == 1
    with pytest.raises(DataFailure, match="column 'price' is decimal\\(10,2\\), expected decimal\\(12,2\\)"):
        check_input(location, {"price": "decimal(12,2)"})


@pytest.mark.parametrize(
    ("arrow_type", "spark_name"),
    [
        (pa.timestamp("us", tz="UTC"), "timestamp"),
        (pa.timestamp("ms"), "timestamp"),
        (pa.timestamp("ns", tz="Europe/Paris"), "timestamp"),
        (pa.int64(), "long"),
        (pa.int32(), "int"),
        (pa.string(), "string"),
        (pa.large_string(), "string"),
        (pa.dictionary(pa.int32(), pa.string()), "string"),
        (pa.bool_(), "boolean"),
        (pa.float32(), "float"),
        (pa.float64(), "double"),
        (pa.date32(), "date"),
        (pa.binary(), "binary"),
        (pa.decimal128(18, 4), "decimal(18,4)"),
    ],
    ids=str,
)
def test_arrow_types_map_to_spark_names(arrow_type: pa.DataType, spark_name: str) -> None:
    assert spark_type_name(arrow_type) == spark_name


def test_a_footer_read_that_fails_once_is_not_blamed_on_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyarrow says OSError for a garbage footer and for a storage outage alike: a file whose
    footer reads well when read again is not a data failure, and the storage's error stands."""
    location = write_table(tmp_path / "fine.parquet", {"site": pa.array(["a"])})

    def outage(_where: object) -> None:
        raise OSError("Couldn't deserialize thrift: connection reset while reading")

    monkeypatch.setattr(storage, "read_parquet_footer", outage)
    with pytest.raises(OSError, match="connection reset"):
        check_input(location, {"site": "string"})
