"""The filter language: structured queries over accounts, compiled to one database query."""

from workflow.filters.compiler import (
    FilterCompiler,
    FilterError,
    accounts_matching,
    describe,
    query_check,
)

__all__ = ["FilterCompiler", "FilterError", "accounts_matching", "describe", "query_check"]
