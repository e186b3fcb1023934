"""Every byte the app reads or writes outside Spark goes through here.

Only the local filesystem (plain absolute paths and file:// URIs) is supported for now;
keeping the I/O in this one module is what lets an S3 implementation be added later.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyarrow.parquet as pq


def local_path(location: str) -> Path:
    """An absolute local path for a plain path or a file:// URI; other schemes are not supported yet."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"file URI with a remote host is not supported: {location}")
        return Path(unquote(parsed.path))
    if parsed.scheme:
        raise ValueError(f"unsupported storage scheme {parsed.scheme!r}: {location}")
    path = Path(location)
    if not path.is_absolute():
        raise ValueError(f"input paths must be absolute: {location}")
    return path


def read_parquet_footer(path: Path) -> pq.FileMetaData:
    """The footer of a Parquet file (schema and row counts) without reading any data page."""
    return pq.read_metadata(path)


def file_size(path: Path) -> int:
    return path.stat().st_size


def exists(path: Path) -> bool:
    return path.exists()


def list_part_files(folder: Path) -> list[Path]:
    """The Parquet part files Spark wrote, in name order; checksums and markers are not data."""
    return sorted(path for path in folder.glob("part-*.parquet") if path.is_file())


def write_text_atomically(path: Path, text: str) -> None:
    """Write to a hidden temporary file in the same folder, flush it to disk, then rename it.

    The rename is atomic on one filesystem, so a reader sees either no file or the whole file,
    never a half-written one; the leading dot keeps Spark and other readers from listing it.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def spark_location(location: str) -> str:
    """The URI Spark reads or writes for a location (file:// now; s3a:// when S3 is added).

    Not Path.as_uri(): Hadoop takes the path verbatim and would create `run%3Djob-1`
    for the percent-encoded `run=job-1`.
    """
    return f"file://{local_path(location)}"
