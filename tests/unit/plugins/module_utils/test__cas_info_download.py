# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_download's logic: wait, then write the files or the archives, changed only when a file changes."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import (
    BatchError,
    download,
    request_argument_spec,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from tests.unit.plugins.module_utils.test__cas_info import (
    INSTANCE_KEY_PEM,
    FakeAccountApi,
    FakeClock,
    info_options,
    poll,
    refuse_connection,
)
from tests.unit.plugins.module_utils.test__certificate_files_write import FakeWriter


def fetch(api, writer, check_mode=False, diff_mode=True, hide_secret=None, **overrides):
    clock = FakeClock()
    options = info_options(**dict({"wait": True}, **overrides))
    options.pop("return_private_key")  # not an option of certificate_download
    return download(options, lambda: CasClient(api), clock=clock, sleep=clock.sleep, writer=writer,
                    check_mode=check_mode, hide_secret=hide_secret, diff_mode=diff_mode)


@pytest.mark.parametrize("overrides, option", [
    ({"instance_id": "cas-cn-1"}, "cert_dest"),
    ({"certificates": [{"instance_id": "cas-cn-1"}]}, "certificates"),
    ({"instance_id": "cas-cn-1", "cert_dest": "/tmp/c.pem", "privatekey_mode": "0644"}, "privatekey_mode"),
    ({"instance_id": "cas-cn-1", "cert_dest": "/tmp/c.pem", "privatekey_mode": "a+r"}, "privatekey_mode"),
])
def test_bad_download_options_fail_before_any_call(overrides, option):
    with pytest.raises(ConfigurationError) as caught:
        download(dict(info_options(**overrides)), refuse_connection, writer=FakeWriter())
    assert caught.value.option == option
    if option == "cert_dest":
        assert "certificate_request_info reads a request without writing" in str(caught.value)


def test_check_then_write_then_unchanged_then_check(tmp_path):
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com")
    api.instance_progress[instance_id] = [{}, "issue"]
    writer = FakeWriter()
    dests = {"fullchain_dest": str(tmp_path / "f.pem"), "privatekey_dest": str(tmp_path / "k.pem"),
             "privatekey_mode": "0640"}
    key = str(tmp_path / "k.pem")
    hidden = []
    checked = fetch(api, writer, check_mode=True, instance_id=instance_id, hide_secret=hidden.append, **dests)
    assert checked["changed"] and writer.files == {} and checked["phase"] == "issued"
    assert checked["diff"]["before"][key] == {"content": "absent", "mode": None}
    assert checked["diff"]["after"][key] == {"content": "new content", "mode": "0640"}
    written = fetch(api, writer, instance_id=instance_id, **dests)
    assert written["changed"] and writer.files[key] == INSTANCE_KEY_PEM.encode() and writer.modes[key] == "0640"
    assert written["diff"] == checked["diff"]
    assert dict(writer.replaced)[key] is True  # written as a secret
    again = fetch(api, writer, instance_id=instance_id, **dests)
    again_checked = fetch(api, writer, check_mode=True, instance_id=instance_id, **dests)
    for result in (again, again_checked):
        assert not result["changed"] and not any(item["changed"] for item in result["files"].values())
        assert result["diff"]["before"] == result["diff"]["after"]
    assert len(writer.replaced) == 2
    assert hidden == [INSTANCE_KEY_PEM]
    assert "FAKE-INSTANCE-KEY" not in repr([checked, written, again, again_checked])
    assert "private_key" not in written


def test_only_a_file_change_is_a_change(tmp_path):
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com", certificate_status="issued")
    writer = FakeWriter()
    cert = str(tmp_path / "c.pem")
    assert fetch(api, writer, instance_id=instance_id, cert_dest=cert)["changed"]
    assert not fetch(api, writer, instance_id=instance_id, cert_dest=cert)["changed"]
    remoded = fetch(api, writer, instance_id=instance_id, cert_dest=cert, mode="0640")
    assert remoded["changed"] and writer.modes[cert] == "0640" and len(writer.replaced) == 1
    assert remoded["diff"] == {"before": {cert: {"content": "same content", "mode": "0644"}},
                               "after": {cert: {"content": "same content", "mode": "0640"}}}


def test_without_waiting_an_unissued_certificate_writes_nothing_and_says_so(tmp_path):
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com")
    writer = FakeWriter()
    result = fetch(api, writer, wait=False, instance_id=instance_id, cert_dest=str(tmp_path / "c.pem"))
    assert not result["changed"] and result["files"] == {} and writer.files == {}
    assert result["warnings"] == ["Nothing was written for www.example.com: it is validating, not issued."
                                  " Set wait=true to wait for it."]


def test_the_diff_only_in_diff_mode(tmp_path):
    api = FakeAccountApi()
    instance_id = api.add_instance("www.example.com", certificate_status="issued")
    result = fetch(api, FakeWriter(), diff_mode=False, instance_id=instance_id, cert_dest=str(tmp_path / "c.pem"))
    assert result["changed"] and "diff" not in result


def batch_options(tmp_path, www, shop):
    return dict(certificates=[{"name": "www", "instance_id": www}, {"name": "shop", "instance_id": shop}],
                archives=[{"dest": str(tmp_path / "web.tar"),
                           "members": [{"certificate": "www", "dir": "www.example.com"},
                                       {"certificate": "shop", "dir": "shop.example.com"}]}])


def test_archives_are_the_bytes_certificate_request_info_writes(tmp_path):
    """The role moves from certificate_request_info to certificate_download: the same archives."""
    api = FakeAccountApi()
    www = api.add_instance("www.example.com", certificate_status="issued")
    shop = api.add_instance("shop.example.com", certificate_status="issued")
    old, new = FakeWriter(), FakeWriter()
    read = poll(api, writer=old, **batch_options(tmp_path, www, shop))
    fetched = fetch(api, new, **batch_options(tmp_path, www, shop))
    archive = str(tmp_path / "web.tar")
    assert new.files[archive] == old.files[archive] and new.modes[archive] == "0600"
    assert fetched["archives"] == read["archives"] and fetched["changed"]
    assert [item["name"] for item in fetched["certificates"]] == ["www", "shop"]
    assert fetched["diff"]["after"][archive] == {"content": "new content", "mode": "0600"}
    again = fetch(api, new, check_mode=True, **batch_options(tmp_path, www, shop))
    assert not again["changed"] and again["diff"]["before"][archive] == {"content": "same content", "mode": "0600"}
    assert "FAKE-INSTANCE-KEY" not in repr([fetched, again])


def test_a_batch_that_fails_at_the_end_keeps_its_diff_and_writes_the_others(tmp_path):
    api = FakeAccountApi()
    www = api.add_instance("www.example.com", certificate_status="issued")
    writer = FakeWriter()
    with pytest.raises(BatchError) as caught:
        fetch(api, writer, wait_timeout=10, **batch_options(tmp_path, www, api.add_instance("shop.example.com")))
    result = caught.value.to_result()
    assert result["archives"][0]["dirs"] == ["www.example.com"] and result["archives"][0]["missing"] == [
        "shop.example.com"]
    assert str(tmp_path / "web.tar") in result["diff"]["after"] and result["changed"]


def test_the_writing_options_are_deprecated_on_certificate_request_info_only():
    read, read_kwargs = request_argument_spec(writing="deprecated")
    fetched, fetch_kwargs = request_argument_spec(writing="current", wait_default=True)
    writing = ("cert_dest", "chain_dest", "fullchain_dest", "privatekey_dest", "privatekey_mode", "archives")
    assert set(read) == set(fetched) and read_kwargs == fetch_kwargs and fetch_kwargs["add_file_common_args"]
    for option in writing:
        removal = (read[option]["removed_in_version"], read[option]["removed_from_collection"])
        assert removal == ("1.0.0", "alicloud.cas")
        assert "removed_in_version" not in fetched[option]
    for option in writing[:4]:
        assert read["certificates"]["options"][option]["removed_in_version"] == "1.0.0"
        assert "removed_in_version" not in fetched["certificates"]["options"][option]
    reading = [option for option in read if option not in writing]
    assert all("removed_in_version" not in read[option] for option in reading)
    assert (read["wait"]["default"], fetched["wait"]["default"]) == (False, True)
