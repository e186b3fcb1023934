from enum import StrEnum


class PipelineOutputsSqlType1ItemMode(StrEnum):
    APPEND = "append"
    MERGE = "merge"
    REPLACE_PARTITIONS = "replace-partitions"

    def __str__(self) -> str:
        return str(self.value)
