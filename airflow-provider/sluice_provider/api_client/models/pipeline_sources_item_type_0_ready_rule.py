from enum import StrEnum


class PipelineSourcesItemType0ReadyRule(StrEnum):
    MARKER = "marker"
    RENAME = "rename"
    STABLE = "stable"

    def __str__(self) -> str:
        return str(self.value)
