# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_request_info's archives: the files of several certificates bundled for one transfer."""

from __future__ import annotations

import io
import tarfile

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._cas_info import BatchError, request_info
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import FileWriteError
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from tests.unit.plugins.module_utils.test__cas_info import (
    INSTANCE_KEY_PEM,
    FakeAccountApi,
    info_options,
    poll,
    refuse_connection,
)
from tests.unit.plugins.module_utils.test__certificate_files_write import FakeWriter


def members_of(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        return dict((info.name, archive.extractfile(info).read() if info.isfile() else None)
                    for info in archive.getmembers())


def test_one_archive_per_set_of_certificates_then_unchanged(tmp_path):
    api = FakeAccountApi()
    www = api.add_instance("www.example.com", certificate_status="issued")
    shop = api.add_instance("shop.example.com", certificate_status="issued")
    both, alone = str(tmp_path / "both.tar"), str(tmp_path / "alone.tar")
    options = dict(certificates=[{"name": "www-1", "instance_id": www}, {"name": "shop-2", "instance_id": shop}],
                   archives=[{"dest": both, "members": [{"certificate": "www-1", "dir": "www.example.com"},
                                                        {"certificate": "shop-2", "dir": "shop.example.com"}]},
                             {"dest": alone, "members": [{"certificate": "shop-2", "dir": "shop.example.com"}]}])
    writer = FakeWriter()
    result = poll(api, writer=writer, **options)
    assert result["changed"] and [item["changed"] for item in result["archives"]] == [True, True]
    assert result["archives"][0] == {"dest": both, "dirs": ["www.example.com", "shop.example.com"], "missing": [],
                                     "changed": True, "failed": False, "msg": ""}
    assert writer.replaced == [(both, True), (alone, True)] and writer.modes[both] == "0600"
    content = members_of(writer.files[both])
    assert sorted(content) == sorted(["www.example.com", "www.example.com/cert.pem", "www.example.com/chain.pem",
                                      "www.example.com/fullchain.pem", "www.example.com/privkey.pem",
                                      "shop.example.com", "shop.example.com/cert.pem", "shop.example.com/chain.pem",
                                      "shop.example.com/fullchain.pem", "shop.example.com/privkey.pem"])
    assert content["www.example.com/privkey.pem"] == INSTANCE_KEY_PEM.encode()
    assert "FAKE-INSTANCE-KEY" not in repr(result) and "BEGIN" not in repr(result)

    again = poll(api, writer=writer, **options)  # the same certificates: the same bytes
    assert not again["changed"] and not any(item["changed"] for item in again["archives"])
    assert len(writer.replaced) == 2


def test_a_failed_certificate_is_left_out_and_the_others_still_travel(tmp_path):
    api = FakeAccountApi()
    good = api.add_instance("www.example.com", certificate_status="issued")
    bundle = str(tmp_path / "b.tar")
    writer = FakeWriter()
    with pytest.raises(BatchError) as caught:
        poll(api, writer=writer, certificates=[{"name": "good", "instance_id": good},
                                               {"name": "gone", "instance_id": "cas-cn-nothere"}],
             archives=[{"dest": bundle, "members": [{"certificate": "good", "dir": "www.example.com"},
                                                    {"certificate": "gone", "dir": "gone.example.com"}]}])
    result = caught.value.to_result()
    assert result["archives"][0]["dirs"] == ["www.example.com"]
    assert result["archives"][0]["missing"] == ["gone.example.com"]
    assert "gone.example.com" not in members_of(writer.files[bundle])


def test_an_archive_without_any_issued_certificate_is_not_written(tmp_path):
    api = FakeAccountApi()
    pending = api.add_instance("www.example.com")
    writer = FakeWriter()
    result = poll(api, writer=writer, certificates=[{"name": "www", "instance_id": pending}],
                  archives=[{"dest": str(tmp_path / "b.tar"),
                             "members": [{"certificate": "www", "dir": "www.example.com"}]}])
    assert result["archives"][0]["missing"] == ["www.example.com"] and not result["changed"]
    assert writer.files == {}


def test_check_mode_writes_no_archive(tmp_path):
    api = FakeAccountApi()
    www = api.add_instance("www.example.com", certificate_status="issued")
    writer = FakeWriter()
    result = poll(api, writer=writer, check_mode=True, certificates=[{"name": "www", "instance_id": www}],
                  archives=[{"dest": str(tmp_path / "b.tar"),
                             "members": [{"certificate": "www", "dir": "www.example.com"}]}])
    assert result["archives"][0]["changed"] and writer.files == {}


def archive(dest, *members):
    return {"dest": dest, "members": [{"certificate": name, "dir": directory} for name, directory in members]}


@pytest.mark.parametrize("archives", [
    [archive("/tmp/a.tar", ("nobody", "www.example.com"))],  # not an item's name
    [archive("/tmp/a.tar", ("twin", "www.example.com"))],  # the name of two items
    [archive("/tmp/a.tar", ("www", "../etc"))],
    [archive("/tmp/a.tar", ("www", "a")), archive("/tmp/a.tar", ("www", "a"))],  # one path twice
    [archive("/tmp/a.tar", ("www", "a"), ("shop", "a"))],  # one directory twice
    [archive("/tmp/a.tar")],
    [archive("/nonexistent-dir/a.tar", ("www", "a"))],
    [archive("/tmp/www.pem", ("www", "a"))],  # already an item's file
])
def test_bad_archives_fail_before_any_call(archives):
    certificates = [{"name": "www", "order_id": 1, "cert_dest": "/tmp/www.pem"}, {"name": "shop", "order_id": 2},
                    {"name": "twin", "order_id": 3}, {"name": "twin", "order_id": 4}]
    with pytest.raises(ConfigurationError) as caught:
        request_info(info_options(certificates=certificates, archives=archives), refuse_connection)
    assert caught.value.option == "archives"


def test_archives_need_a_batch():
    with pytest.raises(ConfigurationError, match="give certificates too") as caught:
        request_info(info_options(order_id=1, archives=[archive("/tmp/a.tar", ("www", "a"))]), refuse_connection)
    assert caught.value.option == "archives"


def test_an_archive_that_cannot_be_written_fails_the_task_and_keeps_every_outcome(tmp_path):
    class RefusingWriter(FakeWriter):
        def replace(self, path, data, secret):
            if path.endswith(".tar"):
                raise FileWriteError("Could not write %s: disk full" % path)
            super().replace(path, data, secret)

    api = FakeAccountApi()
    www = api.add_instance("www.example.com", certificate_status="issued")
    bundle = str(tmp_path / "b.tar")
    with pytest.raises(BatchError) as caught:
        poll(api, writer=RefusingWriter(), certificates=[{"name": "www", "instance_id": www}],
             archives=[{"dest": bundle, "members": [{"certificate": "www", "dir": "www.example.com"}]}])
    assert str(caught.value).startswith("1 of 1 archives could not be written: %s." % bundle)
    result = caught.value.to_result()
    assert not result["certificates"][0]["failed"] and result["certificates"][0]["phase"] == "issued"
    assert result["archives"][0]["failed"] and "disk full" in result["archives"][0]["msg"]
