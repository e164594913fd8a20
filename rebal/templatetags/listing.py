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
