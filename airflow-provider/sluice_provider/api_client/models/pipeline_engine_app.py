from enum import StrEnum


class PipelineEngineApp(StrEnum):
    AGGREGATE = "aggregate"

    def __str__(self) -> str:
        return str(self.value)
