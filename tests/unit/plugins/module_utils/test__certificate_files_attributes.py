# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_file_info's batch items report each expected file's mode and ownership.

The role puts right only the kept files whose mode, owner or group differ from these, so a
clean rerun runs no file module at all.
"""

from __future__ import annotations

import grp
import os
import pwd

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils import _certificate_files as cf
from tests.unit.plugins.module_utils.test__certificate_files import NOW
from tests.unit.plugins.module_utils.test__certificate_files_batch import FILES, _directory, _item, _params


def _inspect_one(item):
    result, = cf.file_info(_params([item]), now=NOW)["certificates"]
    return result


def _owned_by_me(mode):
    uid, gid = os.getuid(), os.getgid()
    return {"mode": mode, "uid": uid, "gid": gid, "owner": pwd.getpwuid(uid).pw_name,
            "group": grp.getgrgid(gid).gr_name}


def test_each_existing_expected_file_comes_with_its_mode_owner_and_group(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"], skip=("chain.pem",))
    for name, mode in (("cert.pem", 0o644), ("fullchain.pem", 0o640), ("privkey.pem", 0o600)):
        os.chmod(str(directory / name), mode)
    result = _inspect_one(_item(directory, domain="www.example.com"))
    assert result["files"] == {
        str(directory / "cert.pem"): _owned_by_me("0644"),
        str(directory / "fullchain.pem"): _owned_by_me("0640"),
        str(directory / "privkey.pem"): _owned_by_me("0600"),
    }
    # A missing file is only in missing_files.
    assert result["missing_files"] == [str(directory / "chain.pem")]


def test_special_bits_are_part_of_the_mode(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"])
    os.chmod(str(directory / "cert.pem"), 0o2755)
    files = _inspect_one(_item(directory, domain="www.example.com"))["files"]
    assert files[str(directory / "cert.pem")]["mode"] == "2755"


def test_a_link_reports_its_target_and_a_directory_or_dangling_link_is_missing(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"])
    os.chmod(str(directory / "fullchain.pem"), 0o600)
    os.symlink(str(directory / "fullchain.pem"), str(directory / "linked.pem"))
    os.symlink(str(directory / "gone.pem"), str(directory / "dangling.pem"))
    os.mkdir(str(directory / "dir.pem"))
    expected = [str(directory / name) for name in ("linked.pem", "dangling.pem", "dir.pem")]
    result = _inspect_one(_item(directory, domain="www.example.com", expected_files=expected))
    assert result["files"] == {str(directory / "linked.pem"): _owned_by_me("0600")}
    assert result["missing_files"] == expected[1:]


def test_an_id_the_target_cannot_name_comes_back_with_a_null_name(tmp_path, monkeypatch):
    def no_name(number):
        raise KeyError(number)

    monkeypatch.setattr(cf.pwd, "getpwuid", no_name)
    monkeypatch.setattr(cf.grp, "getgrgid", no_name)
    directory = _directory(tmp_path, "www", ["www.example.com"])
    attributes = _inspect_one(_item(directory, domain="www.example.com"))["files"][str(directory / "cert.pem")]
    assert (attributes["owner"], attributes["group"]) == (None, None)
    assert (attributes["uid"], attributes["gid"]) == (os.getuid(), os.getgid())


def _named(lookup, number):
    try:
        lookup(number)
    except KeyError:
        return False
    return True


def _unnamed_id():
    """A number that is neither a uid nor a gid with a name on this machine."""
    return next(number for number in range(48213, 49213)
                if not _named(pwd.getpwuid, number) and not _named(grp.getgrgid, number))


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_a_file_owned_by_an_unknown_uid_really_on_disk(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"])
    number = _unnamed_id()
    os.chown(str(directory / "chain.pem"), number, number)
    files = _inspect_one(_item(directory, domain="www.example.com"))["files"]
    chain = files[str(directory / "chain.pem")]
    assert (chain["owner"], chain["group"], chain["uid"], chain["gid"]) == (None, None, number, number)
    assert files[str(directory / "cert.pem")]["owner"] == pwd.getpwuid(0).pw_name


def test_a_target_without_account_databases_still_gives_the_ids(tmp_path, monkeypatch):
    monkeypatch.setattr(cf, "pwd", None)
    monkeypatch.setattr(cf, "grp", None)
    directory = _directory(tmp_path, "www", ["www.example.com"])
    attributes = _inspect_one(_item(directory, domain="www.example.com"))["files"][str(directory / "privkey.pem")]
    assert (attributes["owner"], attributes["group"], attributes["uid"]) == (None, None, os.getuid())


def test_without_expected_files_no_files_are_reported(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"])
    item = _item(directory, domain="www.example.com")
    del item["expected_files"]
    assert _inspect_one(item)["files"] == {}


def test_an_unreadable_item_reports_no_files(tmp_path):
    broken = _directory(tmp_path, "api", ["api.example.com"], skip=("privkey.pem",))
    (broken / "privkey.pem").mkdir()
    with pytest.raises(cf.BatchError) as caught:
        cf.file_info(_params([_item(broken, domain="api.example.com")]), now=NOW)
    failed, = caught.value.to_result()["certificates"]
    assert failed["failed"] is True and failed["files"] == {}


def test_every_file_of_the_role_layout_is_reported(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"])
    files = _inspect_one(_item(directory, domain="www.example.com"))["files"]
    assert sorted(files) == sorted(str(directory / name) for name in FILES)
