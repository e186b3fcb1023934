from enum import StrEnum


class LoadMode(StrEnum):
    APPEND = "append"
    MERGE = "merge"
    REPLACE_PARTITIONS = "replace-partitions"

    def __str__(self) -> str:
        return str(self.value)
