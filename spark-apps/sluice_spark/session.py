"""The SparkSession for one run, with defaults that suit local mode.

Settings given to spark-submit (--conf from the pipeline's engine.conf, --name from the
launcher) always win: each default here is applied only when the setting is absent.
"""

from pyspark import SparkConf
from pyspark.sql import SparkSession

SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"


def start_session() -> SparkSession:
    # SparkConf() loads the spark.* settings spark-submit was given, so setIfMissing sees them.
    conf = SparkConf()
    # The progress bar rewrites one terminal line with carriage returns; in a log file that
    # the broker tails it is only noise.
    conf.setIfMissing("spark.ui.showConsoleProgress", "false")
    # Days and hours derived from timestamps (to_date(ts)) must not depend on the time zone
    # of whichever machine or pod runs the driver.
    conf.setIfMissing("spark.sql.session.timeZone", "UTC")
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    context = spark.sparkContext
    if not context.getConf().contains(SHUFFLE_PARTITIONS):
        # Spark's default of 200 shuffle partitions means 200 tiny tasks and up to 200 output
        # files on a local[N] master; one partition per core is plenty for aggregates.
        spark.conf.set(SHUFFLE_PARTITIONS, str(context.defaultParallelism))
    return spark
