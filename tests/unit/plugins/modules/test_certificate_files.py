# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The certificate_files module as Ansible runs it on a host: the modes it gives, whatever the archive says."""

from __future__ import annotations

import grp
import io
import json
import os
import stat
import tarfile

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import archive_bytes
from ansible_collections.alicloud.cas.plugins.modules import certificate_files

KEY = "-----BEGIN PRIVATE KEY-----\nFAKE-KEY-never-show-0042\n-----END PRIVATE KEY-----\n"
WWW = {"cert": "LEAF-WWW\n", "chain": "CHAIN\n", "fullchain": "LEAF-WWW\nCHAIN\n", "privatekey": KEY}


@pytest.fixture(autouse=True)
def module_process(one_module_run):
    """Every test here is one module run, under umask 022 (so a mode we see is the one the code set)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def run(args, capsys, check_mode=False, diff=False):
    """The result of one module run."""
    with patch_module_args(dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)):
        with pytest.raises(SystemExit):
            certificate_files.main()
    return json.loads(capsys.readouterr().out)


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def crafted_archive(path):
    """The layout certificate_request_info writes, but with member modes nobody should get."""
    with tarfile.open(str(path), "w") as archive:
        for name, data, mode, kind in (("www.example.com", None, 0o777, tarfile.DIRTYPE),
                                       ("www.example.com/cert.pem", b"LEAF-WWW\n", 0o6777, tarfile.REGTYPE),
                                       ("www.example.com/privkey.pem", KEY.encode(), 0o666, tarfile.REGTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.mode = kind, mode
            info.size = len(data) if data else 0
            archive.addfile(info, io.BytesIO(data) if data else None)


def test_the_member_modes_of_a_crafted_archive_are_ignored(tmp_path, capsys):
    # Seen on 0.3.0: privkey.pem came out 0666 and cert.pem 6777 (setuid, setgid, world-writable).
    crafted_archive(tmp_path / "crafted.tar")
    result = run({"src": str(tmp_path / "crafted.tar"), "dest": str(tmp_path / "certs")}, capsys)
    www = tmp_path / "certs" / "www.example.com"
    assert result["changed"] and not result.get("failed"), result
    assert mode_of(www / "privkey.pem") == 0o600
    assert mode_of(www / "cert.pem") == 0o644
    assert mode_of(www) == 0o755  # created here: 0755, not the member's 0777


def test_a_directory_the_user_narrowed_keeps_its_mode(tmp_path, capsys):
    # Seen on 0.3.0: an existing 0750 certificate directory went back to 0755 on every run.
    (tmp_path / "bundle.tar").write_bytes(archive_bytes([("www.example.com", WWW, 0)]))
    www = tmp_path / "certs" / "www.example.com"
    www.mkdir(parents=True)
    os.chmod(str(www), 0o750)
    os.chmod(str(tmp_path / "certs"), 0o710)
    args = {"src": str(tmp_path / "bundle.tar"), "dest": str(tmp_path / "certs")}
    first = run(args, capsys)
    assert first["changed"] and mode_of(www) == 0o750 and mode_of(tmp_path / "certs") == 0o710
    again = run(args, capsys)
    assert not again["changed"] and mode_of(www) == 0o750


def test_directory_mode_is_applied_when_asked(tmp_path, capsys):
    (tmp_path / "bundle.tar").write_bytes(archive_bytes([("www.example.com", WWW, 0)]))
    www = tmp_path / "certs" / "www.example.com"
    www.mkdir(parents=True)
    args = {"src": str(tmp_path / "bundle.tar"), "dest": str(tmp_path / "certs"), "directory_mode": "0750"}
    result = run(args, capsys, diff=True)
    assert result["changed"] and mode_of(www) == 0o750
    assert result["diff"]["before"][str(www)] == {"mode": "0755"}
    assert result["diff"]["after"][str(www)] == {"mode": "0750"}
    created = run(dict(args, dest=str(tmp_path / "new")), capsys)
    assert created["changed"] and mode_of(tmp_path / "new" / "www.example.com") == 0o750


def test_a_group_readable_key_with_the_task_group(tmp_path, capsys):
    group = grp.getgrgid(os.getgid()).gr_name  # a group the test user may give files to
    (tmp_path / "bundle.tar").write_bytes(archive_bytes([("www.example.com", WWW, 0)]))
    args = {"src": str(tmp_path / "bundle.tar"), "dest": str(tmp_path / "certs"), "privatekey_mode": "0640",
            "mode": "0640", "group": group}
    result = run(args, capsys)
    www = tmp_path / "certs" / "www.example.com"
    assert result["changed"]
    assert mode_of(www / "privkey.pem") == 0o640 and mode_of(www / "fullchain.pem") == 0o640
    assert grp.getgrgid(os.stat(str(www / "privkey.pem")).st_gid).gr_name == group
    assert not run(args, capsys)["changed"]


@pytest.mark.parametrize("privatekey_mode", ["0644", "0604", "0602", "o+r", "a+r", "u=rw,o=r", "+r", 0o644])
def test_a_key_mode_that_opens_the_key_to_others_is_refused_before_any_write(tmp_path, capsys, privatekey_mode):
    (tmp_path / "bundle.tar").write_bytes(archive_bytes([("www.example.com", WWW, 0)]))
    result = run({"src": str(tmp_path / "bundle.tar"), "dest": str(tmp_path / "certs"),
                  "privatekey_mode": privatekey_mode}, capsys)
    assert result["failed"] and "privatekey_mode" in result["msg"] and "0640" in result["msg"], result
    assert not (tmp_path / "certs").exists()


def test_a_mode_change_is_a_change_with_a_diff_of_modes_only(tmp_path, capsys):
    (tmp_path / "bundle.tar").write_bytes(archive_bytes([("www.example.com", WWW, 0)]))
    args = {"src": str(tmp_path / "bundle.tar"), "dest": str(tmp_path / "certs")}
    run(args, capsys)
    key = str(tmp_path / "certs" / "www.example.com" / "privkey.pem")
    cert = str(tmp_path / "certs" / "www.example.com" / "cert.pem")
    checked = run(dict(args, privatekey_mode="0640", mode="0640"), capsys, check_mode=True, diff=True)
    assert checked["changed"] and mode_of(key) == 0o600 and mode_of(cert) == 0o644
    assert checked["diff"]["before"][key] == {"content": "same content", "mode": "0600"}
    assert checked["diff"]["after"][key] == {"content": "same content", "mode": "0640"}
    assert checked["diff"]["after"][cert] == {"content": "same content", "mode": "0640"}
    result = run(dict(args, privatekey_mode="0640", mode="0640"), capsys, diff=True)
    assert result["changed"] and result["diff"] == checked["diff"]
    assert mode_of(key) == 0o640 and mode_of(cert) == 0o640
    assert "FAKE-KEY" not in json.dumps(result) and "LEAF" not in json.dumps(result)
