"""Every byte the app reads or writes outside Spark goes through here.

A location is a local file (an absolute path or a file:// URI) or an S3 object (an s3:// or
s3a:// URI: the broker's lake hands Spark `s3a://bucket/key`, S3 landings may be `s3://`).
Spark itself only knows `s3a://` (hadoop-aws), so `spark_location` converts; the footer
checks, the part-file listing and the manifest use pyarrow's own S3 client.

The S3 client is configured from the environment the launcher gives the driver, never from
the spec (which holds nothing secret):

| variable | meaning |
| --- | --- |
| AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN) | keys; without them the AWS default chain (web identity, instance role, …) |
| AWS_REGION (or AWS_DEFAULT_REGION) | the region, us-east-1 when unset |
| AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL | e.g. http://127.0.0.1:9000 for MinIO; unset for AWS S3 |
| SLUICE_S3_PATH_STYLE | `true`: http://host/bucket/key (MinIO); `false`: virtual-hosted; default true with an endpoint |

Spark gets the same settings from the launcher as `spark.hadoop.fs.s3a.*`.
"""

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

import pyarrow.fs as pafs
import pyarrow.parquet as pq

_S3_URI = re.compile(r"^s3a?://([^/]+)(?:/(.*))?$")


@dataclass(frozen=True)
class Location:
    """A file or folder, local or in S3.

    `path` is what the filesystem takes: an absolute path locally, `bucket/key` in S3 (a
    folder there is a key prefix, without the trailing '/').
    """

    scheme: str  # "file" or "s3"
    path: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def child(self, name: str) -> "Location":
        return Location(self.scheme, f"{self.path.rstrip('/')}/{name}")

    @property
    def is_s3(self) -> bool:
        return self.scheme == "s3"

    @property
    def filesystem(self) -> pafs.FileSystem:
        return s3_filesystem() if self.is_s3 else pafs.LocalFileSystem()

    def spark_uri(self) -> str:
        """The URI Spark reads or writes: file:///… or s3a://bucket/key.

        Not Path.as_uri(): Hadoop takes the path verbatim and would create `run%3Djob-1`
        for the percent-encoded `run=job-1`.
        """
        return f"s3a://{self.path}" if self.is_s3 else f"file://{self.path}"

    def __str__(self) -> str:
        return f"s3://{self.path}" if self.is_s3 else self.path


def locate(location: str) -> Location:
    """The location of a plain absolute path, a file:// URI, or an s3:// / s3a:// URI."""
    s3 = _S3_URI.match(location)
    if s3:
        bucket, key = s3.group(1), (s3.group(2) or "").strip("/")
        if not key:
            raise ValueError(f"S3 location without a key: {location}")
        return Location("s3", f"{bucket}/{key}")
    return Location("file", str(local_path(location)))


def local_path(location: str) -> Path:
    """An absolute local path for a plain path or a file:// URI."""
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


@functools.cache
def s3_filesystem() -> pafs.S3FileSystem:
    """pyarrow's S3 client from the environment (see the module's table); one per process."""
    env = os.environ
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    path_style_setting = env.get("SLUICE_S3_PATH_STYLE", "").strip().lower()
    path_style = path_style_setting == "true" if path_style_setting else bool(endpoint)
    options: dict[str, object] = {
        "region": region,
        # Rides out a restart of MinIO or a short network cut, as the broker's client does.
        "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=6),
    }
    if endpoint:
        parsed = urlparse(endpoint)
        options["scheme"] = parsed.scheme or "https"
        options["endpoint_override"] = parsed.netloc or parsed.path
    elif path_style:
        # pyarrow addresses buckets by path whenever it is given an endpoint.
        options["endpoint_override"] = f"s3.{region}.amazonaws.com"
    if not path_style:
        options["force_virtual_addressing"] = True
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if key_id and secret:
        options["access_key"] = key_id
        options["secret_key"] = secret
        if env.get("AWS_SESSION_TOKEN"):
            options["session_token"] = env["AWS_SESSION_TOKEN"]
    return pafs.S3FileSystem(**options)


def read_parquet_footer(location: Location) -> pq.FileMetaData:
    """The footer of a Parquet file (schema and row counts) without reading any data page.

    In S3 that is a HEAD and one or two ranged GETs from the end of the object.
    """
    if not location.is_s3:
        return pq.read_metadata(location.path)
    with location.filesystem.open_input_file(location.path) as handle:
        return pq.read_metadata(handle)


def file_size(location: Location) -> int:
    info = location.filesystem.get_file_info(location.path)
    if info.type != pafs.FileType.File:
        raise FileNotFoundError(str(location))
    return info.size


def exists(location: Location) -> bool:
    return location.filesystem.get_file_info(location.path).type == pafs.FileType.File


def list_part_files(folder: Location) -> list[Location]:
    """The Parquet part files Spark wrote, in name order; checksums and markers are not data."""
    selector = pafs.FileSelector(folder.path, allow_not_found=True, recursive=False)
    infos = folder.filesystem.get_file_info(selector)
    names = sorted(
        info.base_name
        for info in infos
        if info.type == pafs.FileType.File and info.base_name.startswith("part-") and info.base_name.endswith(".parquet")
    )
    return [folder.child(name) for name in names]


def write_text_atomically(location: Location, text: str) -> None:
    """Write the whole text so that a reader sees no file or the whole file, never a part.

    Locally: a hidden temporary file in the same folder, flushed to disk, then renamed (atomic
    on one filesystem; the leading dot keeps Spark and other readers from listing it). In S3
    an object appears only when its upload completes, so it is written in one piece directly.
    """
    data = text.encode("utf-8")
    if location.is_s3:
        with location.filesystem.open_output_stream(location.path) as stream:
            stream.write(data)
        return
    path = Path(location.path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    # The rename is durable once the folder is.
    _fsync_path(path.parent)


def make_durable(folder: Location, names: list[str]) -> None:
    """Flush the named files of a local folder, and the folder, to disk; nothing to do in S3.

    Before a manifest names part files, they must be on disk: a part renamed into place (by
    the embedded engine, or by Spark's committer) may still sit in the page cache, and a power
    loss after the manifest's own fsync would leave a committed run naming a partial file.
    The folder's fsync makes the names (the renames) durable too, its parent's the folder's own.
    """
    if folder.is_s3:
        return
    for name in names:
        _fsync_path(Path(folder.child(name).path))
    _fsync_path(Path(folder.path))
    _fsync_path(Path(folder.path).parent)


def _fsync_path(path: Path) -> None:
    """fsync a file or a folder by path (a folder is opened read-only, as POSIX allows)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def spark_location(location: str) -> str:
    """The URI Spark reads or writes for a location given in the spec (file:// or s3a://)."""
    return locate(location).spark_uri()


# What Hadoop's glob interprets in a path Spark reads: {a,b} [abc] * ? and the \ escape.
_GLOB_CHARACTERS = re.compile(r"([{}\[\]*?\\])")


def literal_path(spark_uri: str) -> str:
    """The URI with every glob character escaped, so that Spark reads the file it names.

    spark.read hands each path to Hadoop's glob (the same Globber for file:// and s3a://), so
    a file inside a landing root literally named `{x,../outside/y}.parquet` would otherwise be
    read as `x.parquet` and `../outside/y.parquet`, outside the root. A backslash before each
    of those characters makes the glob match it literally; a path without them is unchanged.
    """
    return _GLOB_CHARACTERS.sub(r"\\\1", spark_uri)
