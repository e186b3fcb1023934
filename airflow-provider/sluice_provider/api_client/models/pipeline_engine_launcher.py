from enum import StrEnum


class PipelineEngineLauncher(StrEnum):
    LOCAL = "local"

    def __str__(self) -> str:
        return str(self.value)
