"""The column header of a sortable list: a link that sorts by the column, then reverses it."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context: Any, label: str, column: str, css: str = "") -> str:
    """`<th>` with a link sorting by `column` (descending when it is already ascending), the
    current order announced through aria-sort; other query parameters are kept."""
    sort = context.get("sort", "")
    order = ("ascending" if sort == column else "descending" if sort == f"-{column}" else "")
    wanted = f"-{column}" if sort == column else column
    kept = context.get("sort_query", "")
    href = f"?{kept}&sort={wanted}" if kept else f"?sort={wanted}"
    return format_html('<th scope="col"{}{}><a href="{}">{}</a></th>',
                       format_html(' class="{}"', css) if css else "",
                       format_html(' aria-sort="{}"', order) if order else "", href, label)


@register.inclusion_tag("rebal/_pager.html", takes_context=True)
def pager(context: Any, page: Any = None, param: str = "page", keep: str | None = None,
          label: str = "") -> dict[str, Any]:
    """Previous / next links of a page of rows (`page`, else the context's), keeping the
    query parameters in `keep` (else the context's `query`); `param` names the page number,
    so that one page may hold several paged lists."""
    return {"pager": page if page is not None else context.get("page"), "param": param,
            "keep": context.get("query", "") if keep is None else keep, "label": label}
