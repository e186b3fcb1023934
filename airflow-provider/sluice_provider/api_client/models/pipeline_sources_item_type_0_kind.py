from enum import StrEnum


class PipelineSourcesItemType0Kind(StrEnum):
    FS = "fs"

    def __str__(self) -> str:
        return str(self.value)
