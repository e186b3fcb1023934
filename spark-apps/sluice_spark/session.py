"""The SparkSession for one run, with defaults that suit local mode.

Settings given with spark-submit --conf (the pipeline's engine.conf) always win: each default
here is applied only when the setting is absent.
"""

from pyspark import SparkConf
from pyspark.sql import SparkSession

from .spec import RunSpec

SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"


def start_session(spec: RunSpec) -> SparkSession:
    # SparkConf() loads the spark.* settings spark-submit was given, so setIfMissing sees them.
    conf = SparkConf()
    # The progress bar rewrites one terminal line with carriage returns; in a log file that
    # the broker tails it is only noise. The UI itself stays on for the operator's link.
    conf.setIfMissing("spark.ui.showConsoleProgress", "false")
    # The app name, unlike the settings above, is always ours: spark-submit defaults it to the
    # script's file name, which tells an operator nothing.
    conf.setAppName(f"sluice {spec.pipeline} {spec.job_id}-{spec.attempt}")
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    context = spark.sparkContext
    if not context.getConf().contains(SHUFFLE_PARTITIONS):
        # Spark's default of 200 shuffle partitions means 200 tiny tasks and up to 200 output
        # files on a local[N] master; one partition per core is plenty for aggregates.
        spark.conf.set(SHUFFLE_PARTITIONS, str(context.defaultParallelism))
    return spark
