from enum import StrEnum


class LoadDialect(StrEnum):
    POSTGRES = "postgres"
    SQLSERVER = "sqlserver"

    def __str__(self) -> str:
        return str(self.value)
