"""Paging for every list: limit/offset, with the numbers a database can take."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 2**31 - 1  # beyond any list Rebal holds; larger numbers would overflow a bigint


class Pagination(LimitOffsetPagination):
    max_limit = 1000

    def get_offset(self, request: Any) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
