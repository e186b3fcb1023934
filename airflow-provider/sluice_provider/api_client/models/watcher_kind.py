from enum import StrEnum


class WatcherKind(StrEnum):
    FS = "fs"
    S3 = "s3"

    def __str__(self) -> str:
        return str(self.value)
