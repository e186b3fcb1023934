from enum import StrEnum


class PipelineSourcesItemType1ReadyRule(StrEnum):
    MARKER = "marker"
    STABLE = "stable"

    def __str__(self) -> str:
        return str(self.value)
