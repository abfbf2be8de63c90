# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_download and certificate_request_info as Ansible runs them: which options warn of their removal.

Every run here stops at the option check, before any call: the deprecations are decided by
the argument spec, so they show on the failure too."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.alicloud.cas.plugins.modules import certificate_download, certificate_request_info


@pytest.fixture(autouse=True)
def module_process(one_module_run):
    """Every test here is one module run."""


def run(module, args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def deprecations(result):
    """``[(msg, version, collection)]``: ansible-core 2.19 and 2.21 shape them differently."""
    found = []
    for item in result.get("deprecations", []):
        message = item["msg"] if "msg" in item else item["event"]["msg"]
        collection = item["collection_name"] if "collection_name" in item else item["deprecator"]["resolved_name"]
        found.append((message, item["version"], collection))
    return sorted(found)


@pytest.mark.parametrize("args, named", [
    ({"privatekey_dest": "/nonexistent-dir/k.pem"}, ["privatekey_dest"]),
    ({"cert_dest": "/nonexistent-dir/c.pem", "privatekey_mode": "0640"}, ["cert_dest", "privatekey_mode"]),
    ({"certificates": [{"order_id": 1, "fullchain_dest": "/nonexistent-dir/f.pem"}]}, ['certificates["fullchain_dest"]']),
    ({"certificates": [{"order_id": 1}], "archives": [{"dest": "/nonexistent-dir/a.tar",
                                                       "members": [{"certificate": "1", "dir": "www"}]}]},
     ["archives"]),
])
def test_the_writing_options_of_certificate_request_info_warn(capsys, args, named):
    result = run(certificate_request_info, dict(args, access_key_id="k", access_key_secret="s"), capsys)
    assert result["failed"]  # the missing directory, found before any call
    found = deprecations(result)
    assert [message for message, _version, _collection in found] == [
        "Param '%s' is deprecated. See the module docs for more information" % name for name in sorted(named)]
    assert set((version, collection) for _message, version, collection in found) == {("1.0.0", "alicloud.cas")}


def test_the_file_options_of_certificate_request_info_warn(capsys):
    result = run(certificate_request_info, {"instance_id": " ", "mode": "0640", "group": "ssl-cert"}, capsys)
    assert result["failed"] and result["option"] == "instance_id"
    (message, version, collection), = deprecations(result)
    assert "(mode, group given)" in message and "alicloud.cas.certificate_download" in message
    assert (version, collection) == ("1.0.0", "alicloud.cas")


def test_reading_alone_warns_of_nothing(capsys):
    result = run(certificate_request_info, {"instance_id": " ", "wait": True}, capsys)
    assert result["failed"] and result["option"] == "instance_id" and "deprecations" not in result


def test_certificate_download_warns_of_nothing_and_needs_something_to_write(capsys):
    result = run(certificate_download, {"instance_id": "cas-cn-1", "privatekey_mode": "0640", "mode": "0644"}, capsys)
    assert result["failed"] and result["option"] == "cert_dest" and "deprecations" not in result
    assert result["msg"].startswith("Nothing to write: give cert_dest, chain_dest, fullchain_dest, privatekey_dest.")
    result = run(certificate_download, {"instance_id": "cas-cn-1", "privatekey_dest": "/nonexistent-dir/k.pem",
                                        "privatekey_mode": "0644"}, capsys)
    assert result["failed"] and result["option"] in ("privatekey_dest", "privatekey_mode")
