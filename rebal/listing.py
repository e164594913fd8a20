"""Every list page's rows: searched, sorted by a known column and paged in the database.

A firm may hold a hundred thousand accounts, so nothing is sorted or counted in Python. Filters
specific to a page are applied by its view before the rows come here; every query parameter is
kept in the sort and page links so that sorting keeps the filters and paging keeps both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest

PER_PAGE = 50


def listing(request: HttpRequest, rows: QuerySet, *, sorts: Mapping[str, str],
            default_sort: str = "", search: Sequence[str] = (),
            per_page: int = PER_PAGE) -> dict[str, Any]:
    """The template context of one page of `rows`.

    `sorts` maps the names shown in links to ORM paths; `default_sort` is one of those names,
    with `-` for descending (the first name, ascending, when omitted). `search` lists the fields
    that the `q` parameter matches, case-insensitively.
    """
    text = request.GET.get("q", "").strip()
    if text and search:
        matches = Q()
        for field in search:
            matches |= Q(**{f"{field}__icontains": text})
        rows = rows.filter(matches)
    sort = request.GET.get("sort", "")
    if sort.removeprefix("-") not in sorts:
        sort = default_sort or next(iter(sorts))
    column = sorts[sort.removeprefix("-")]
    rows = rows.order_by(f"-{column}" if sort.startswith("-") else column, "-pk"
                         if sort.startswith("-") else "pk")
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    kept = [(key, value) for key, value in request.GET.items() if value and key != "page"]
    return {
        "page": page, "q": text, "sort": sort,
        "query": urlencode(kept),
        "sort_query": urlencode([(key, value) for key, value in kept if key != "sort"]),
    }


# The platform operator's pages list firms (a card of monitoring rows each), a page at a time.
FIRM_SORTS = {"code": "code", "name": "name"}
FIRM_SEARCH = ("code", "name")
FIRMS_PER_PAGE = 20
