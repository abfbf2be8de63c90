# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one pager: every item once, an end against any service, and CAS's order list under
each ShowSize cap of the emulator."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._paging import read_all_pages


def _service(items, page_size, total=None):
    calls = []

    def fetch(page):
        calls.append(page)
        start = (page - 1) * page_size
        return {"TotalCount": len(items) if total is None else total, "Items": items[start:start + page_size]}
    return fetch, calls


@pytest.mark.parametrize("count, page_size, pages", [(0, 50, [1]), (50, 50, [1]), (51, 50, [1, 2]), (120, 50, [1, 2, 3])])
def test_reads_every_page_and_stops_at_the_total(count, page_size, pages):
    items = [{"id": i} for i in range(count)]
    fetch, calls = _service(items, page_size)
    assert read_all_pages(fetch, lambda answer: answer["Items"], key=lambda item: item["id"]) == items
    assert calls == pages


def test_an_item_pushed_to_the_next_page_by_a_write_is_kept_once():
    items = [{"id": i} for i in range(6)]
    served = {1: items[0:3], 2: items[2:5], 3: items[5:6]}  # item 2 moved down a page meanwhile

    def fetch(page):
        return {"TotalCount": 6, "Items": served.get(page, [])}

    assert [i["id"] for i in read_all_pages(fetch, lambda a: a["Items"], key=lambda i: i["id"])] == list(range(6))


def test_a_total_that_is_never_reached_still_ends():
    fetch, calls = _service([{"id": 1}], 50, total=1000)
    assert len(read_all_pages(fetch, lambda answer: answer["Items"], key=lambda item: item["id"])) == 1
    assert calls == [1, 2]


def test_every_list_of_the_clients_uses_the_pager():
    utils = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "module_utils")
    for name in sorted(os.listdir(utils)):
        if name.endswith(".py") and name != "_paging.py":
            with open(os.path.join(utils, name), encoding="utf-8") as handle:
                source = handle.read()
            # A hand-written loop increments its own page counter.
            assert not re.search(r"\bpage \+= 1", source), "%s pages by hand" % name


@pytest.fixture(scope="module")
def emu():
    from tests.emulator import running_emulator

    yield from running_emulator(seed="demo")


@pytest.mark.parametrize("cap", [None, 50, 100])
def test_cas_order_list_is_read_whole_under_each_show_size_cap(emu, cap):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
    from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RetryPolicy, RpcClient

    emu.control.reset("demo")
    emu.control.settings(show_size_cap=cap)
    emu.control.set_quota("1234567890123456", "geotrust-dv-1-starter", 120, 0)
    rpc = RpcClient(emu.base_url, CAS_VERSION, Credentials("LTAI5tEmulatorDemoKey01", "EmulatorDemoSecret0123456789abc"),
                    verify=emu.ca_path, retry_policy=RetryPolicy(max_attempts=1))
    key = ec.generate_private_key(ec.SECP256R1())
    for index in range(110):
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "o%03d.example.com" % index)]))
               .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode("ascii"))
        rpc.call("CreateCertificateWithCsrRequest", {"Csr": csr, "Email": "ops@example.com", "Phone": "13800000000",
                                                     "Username": "Ops", "ValidateType": "DNS",
                                                     "ProductCode": "geotrust-dv-1-starter"})
    emu.control.clear_calls()
    orders = CasClient(rpc).list_orders()
    assert len({order["OrderId"] for order in orders}) == 110
    pages = [c for c in emu.control.calls() if c["action"] == "ListUserCertificateOrder"]
    assert len(pages) == -(-110 // min(50, cap or 50))
