# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""CasClient and the pure helpers of _cas."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas import (
    CasClient,
    days_left,
    iso_from_ms,
    normalize_state,
    search_keywords,
    split_chain,
    validation_fqdn,
)
from tests.unit.plugins.module_utils.cas_fake import DAY_MS, NOW_MS, FakeCasApi, make_certificate


@pytest.mark.parametrize("record, domain, fqdn", [
    ("_dnsauth", "www.example.com", "_dnsauth.www.example.com"),
    ("_dnsauth.www", "www.example.com", "_dnsauth.www.example.com"),
    ("_dnsauth", "example.com", "_dnsauth.example.com"),
    ("_dnsauth.a.b", "a.b.example.com", "_dnsauth.a.b.example.com"),
    ("_dnsauth.a", "a.b.example.com", "_dnsauth.a.b.example.com"),
    ("_dnsauth", "*.example.com", "_dnsauth.example.com"),
    ("_dnsauth.shop", "*.shop.example.com", "_dnsauth.shop.example.com"),
    ("_DNSAUTH.www.example.com.", "www.example.com", "_dnsauth.www.example.com"),
    ("_dnsauth", None, None),
])
def test_validation_fqdn(record, domain, fqdn):
    assert validation_fqdn(record, domain) == fqdn


def test_split_chain_and_dates():
    pem = make_certificate("www.example.com")
    leaf, chain, fullchain = split_chain(pem)
    assert leaf.count("BEGIN") == 1 and chain.count("BEGIN") == 1 and fullchain == leaf + chain
    assert split_chain("") == (None, None, None)
    assert split_chain(leaf)[1] is None
    state = normalize_state({"Type": "certificate", "Certificate": pem, "CertId": "9", "PrivateKey": "KEY"})
    assert state["not_after"] == "2026-11-30T00:00:00Z" and "KEY" not in repr(state)


def test_unknown_type_reads_as_unknown():
    assert normalize_state({"Type": "something-new"})["status_meaning"] == "unknown state"


def test_dates():
    assert iso_from_ms(0) is None
    assert iso_from_ms(1790000000000) == "2026-09-21T14:13:20Z"
    assert days_left({"CertEndTime": NOW_MS + 3 * DAY_MS + 5}, NOW_MS) == 3
    assert days_left({}, NOW_MS) is None


def test_search_keywords_cover_both_idn_spellings():
    assert search_keywords("www.example.com") == ["www.example.com"]
    assert search_keywords("xn--bcher-kva.example") == ["xn--bcher-kva.example", "bücher.example"]


def test_create_with_known_orders_skips_the_listing():
    api = FakeCasApi()
    created = CasClient(api).create("www.example.com", "a@example.com", "+8613800000000", "Jane", "DNS",
                                    known_order_ids=[])
    assert api.actions() == ["CreateCertificateRequest"]
    assert created == {"order_id": list(api.orders)[0], "adopted": False}


def test_create_without_known_orders_lists_them_first():
    api = FakeCasApi()
    CasClient(api).create("www.example.com", "a@example.com", "+8613800000000", "Jane", "DNS")
    assert api.actions() == ["ListUserCertificateOrder", "CreateCertificateRequest"]


def test_delete_of_a_missing_order_reports_false():
    api = FakeCasApi()
    assert CasClient(api).delete(42) is False
