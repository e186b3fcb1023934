"""The SparkSession for one run, with defaults that suit local mode.

Settings given to spark-submit (--conf from the pipeline's engine.conf, --name from the
launcher) always win: each default here is applied only when the setting is absent.
"""

from pyspark import SparkConf
from pyspark.sql import SparkSession

SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"

# The defaults, each applied only when spark-submit was not given the setting (the tests'
# session takes them too, so that in-process runs read files as the app does).
DEFAULTS = {
    # The progress bar rewrites one terminal line with carriage returns; in a log file that
    # the broker tails it is only noise.
    "spark.ui.showConsoleProgress": "false",
    # Days and hours derived from timestamps (to_date(ts)) must not depend on the time zone
    # of whichever machine or pod runs the driver.
    "spark.sql.session.timeZone": "UTC",
    # file:// without Hadoop's checksum layer. LocalFileSystem (a ChecksumFileSystem) looks for
    # a `.<name>.crc` beside every file it opens and builds that name as a Hadoop Path, which
    # takes a ':' in it for a URI scheme: a landing named `readings_2026-01-01T10:00:00.parquet`
    # failed every task with URISyntaxException (a platform failure, retried for ever).
    # Landings never have .crc files, so nothing was verified by it; the part files Spark
    # writes simply come without .crc files (storage.make_durable flushes them to disk).
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
}


def start_session() -> SparkSession:
    # SparkConf() loads the spark.* settings spark-submit was given, so setIfMissing sees them.
    conf = SparkConf()
    for key, value in DEFAULTS.items():
        conf.setIfMissing(key, value)
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    context = spark.sparkContext
    if not context.getConf().contains(SHUFFLE_PARTITIONS):
        # Spark's default of 200 shuffle partitions means 200 tiny tasks and up to 200 output
        # files on a local[N] master; one partition per core is plenty for aggregates.
        spark.conf.set(SHUFFLE_PARTITIONS, str(context.defaultParallelism))
    return spark
