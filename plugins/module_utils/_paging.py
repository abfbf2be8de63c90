# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""The one pager for every list call (Alidns PageNumber/PageSize, CAS CurrentPage/ShowSize)."""

from __future__ import annotations


def read_all_pages(fetch, items_of, key):
    """Every item of a paged list, in the service's order, each once.

    ``fetch(page)`` answers page number ``page`` (counted from 1), ``items_of(answer)`` lists
    its items and ``key(item)`` identifies one. Reading stops at the answer's ``TotalCount``,
    at an empty page, or at a page that brings nothing new, so it ends even against a
    service that ignores the page number. The page size is the service's: one that serves
    fewer items per page than asked (a ShowSize/PageSize cap, UNCONFIRMED for these APIs)
    only costs more pages. An item that moves to the next page while the list is read (a
    write at the same time) is kept once.
    """
    items = []
    seen = set()
    page = 1
    while True:
        answer = fetch(page)
        fresh = []
        for item in items_of(answer):
            identity = key(item)
            if identity not in seen:
                seen.add(identity)
                fresh.append(item)
        items.extend(fresh)
        if not fresh or len(items) >= int(answer.get("TotalCount") or 0):
            return items
        page += 1
