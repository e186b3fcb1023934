from enum import StrEnum


class PipelineInputFormat(StrEnum):
    PARQUET = "parquet"

    def __str__(self) -> str:
        return str(self.value)
