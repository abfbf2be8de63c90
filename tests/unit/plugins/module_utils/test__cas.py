# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""CasClient and the pure helpers of _cas."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas import (
    CasClient,
    UnsafeValidationPathError,
    iso_from_ms,
    PHASE_MEANINGS,
    normalize_state,
    search_keywords,
    split_chain,
    validation_fqdn,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError
from tests.unit.plugins.module_utils.cas_fake import FakeCasApi, make_certificate

COLLECTIONS_ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".cache", "collections")


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


@pytest.mark.parametrize("uri", [
    "/.well-known/pki-validation/../../../etc/cron.d/x", "/.well-known/pki-validation/../x.txt",
    "/etc/passwd", "/.well-known/acme-challenge/x.txt", "/.well-known/pki-validation/",
    "/.well-known/pki-validation/a/b.txt", "/.well-known/pki-validation/./x.txt",
    "/.well-known//pki-validation/x.txt", "/.well-known/pki-validation/%2e%2e/x.txt",
    "/.well-known/pki-validation/..\\x.txt", "/.well-known/pki-validation/x.txt?y", "",
])
def test_file_validation_path_outside_the_validation_directory_is_refused(uri):
    state = {"Type": "domain_verify", "ValidateType": "FILE", "Domain": "www.example.com", "Uri": uri,
             "Content": "token"}
    with pytest.raises(UnsafeValidationPathError, match="not a file name directly under /.well-known/pki-validation/"):
        normalize_state(state, "www.example.com")


@pytest.mark.parametrize("uri", ["/.well-known/pki-validation/fileauth.txt", ".well-known/pki-validation/fileauth.txt"])
def test_file_validation_path_in_the_validation_directory_is_used(uri):
    state = {"Type": "domain_verify", "ValidateType": "FILE", "Domain": "www.example.com", "Uri": uri,
             "Content": "token"}
    validation = normalize_state(state, "www.example.com")["validation"]
    assert validation["uri"] == "/.well-known/pki-validation/fileauth.txt"
    assert validation["url"] == "http://www.example.com/.well-known/pki-validation/fileauth.txt"


def test_cancel_refused_because_the_order_is_already_cancelled_is_done():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="payed")
    CasClient(api).cancel(order_id)
    assert api.actions() == ["CancelOrderRequest", "DescribeCertificateState"]


def test_cancel_refused_for_another_reason_is_raised():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com", kind="verify_fail")
    with pytest.raises(AlibabaCloudError) as caught:
        CasClient(api).cancel(order_id)
    assert caught.value.code == "OrderStateError"


def test_withdraw_waits_for_an_asynchronous_cancel_before_deleting():
    api = FakeCasApi(cancel_mode="async")
    order_id = api.add_order("www.example.com")
    assert CasClient(api).withdraw(order_id, pending=True) is True
    assert api.actions() == ["CancelOrderRequest", "DeleteCertificateRequest", "DescribeCertificateState",
                             "DescribeCertificateState", "DeleteCertificateRequest"]
    assert api.orders == {}


def test_withdraw_of_an_order_that_is_not_pending_does_not_wait():
    api = FakeCasApi()
    order_id = api.add_order("www.example.com")
    with pytest.raises(AlibabaCloudError):
        CasClient(api).withdraw(order_id, pending=False)
    assert api.actions() == ["DeleteCertificateRequest"]


def test_importing_the_client_does_not_import_cryptography():
    code = ("import sys; sys.path.insert(0, %r); import ansible_collections.alicloud.cas.plugins.module_utils._cas;"
            " print('cryptography' in sys.modules)" % COLLECTIONS_ROOT)
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


@pytest.mark.parametrize("order_type, phase", [
    ("domain_verify", "validating"), ("process", "reviewing"), ("certificate", "issued"),
    ("verify_fail", "failed"), ("payed", "withdrawn"), ("unknow", "unknown"), ("something_new", "unknown"),
])
def test_order_states_map_onto_the_phases_both_flows_share(order_type, phase):
    view = normalize_state({"Type": order_type}, "www.example.com")
    assert view["phase"] == phase
    assert view["phase_meaning"] == PHASE_MEANINGS[phase]
