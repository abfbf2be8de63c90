# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Saving a certificate's files: the decisions over a fake writer, and the AnsibleModule writer on disk."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import (
    AnsibleModuleFileWriter,
    FileWriteError,
    destinations,
    file_modes,
    write_files,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError

KEY = "-----BEGIN PRIVATE KEY-----\nFAKE-KEY-never-show-0042\n-----END PRIVATE KEY-----\n"
CONTENTS = {"cert": "LEAF\n", "chain": "CHAIN\n", "fullchain": "LEAF\nCHAIN\n", "privatekey": KEY}


class FakeWriter:
    """Files in a dict; records every write and attribute change."""

    def __init__(self, files=None, modes=None):
        self.files = dict(files or {})
        self.modes = dict(modes or {})
        self.replaced = []
        self.attributes = []

    def read(self, path):
        return self.files.get(path)

    def mode(self, path):
        return self.modes.get(path)

    def replace(self, path, data, secret):
        self.replaced.append((path, secret))
        self.files[path] = data

    def set_attributes(self, path, mode):
        self.attributes.append((path, mode))
        changed = self.modes.get(path) != mode
        self.modes[path] = mode
        return changed


def dests(tmp_path):
    return {kind: str(tmp_path / name) for kind, name in
            (("cert", "c.pem"), ("chain", "ch.pem"), ("fullchain", "f.pem"), ("privatekey", "k.pem"))}


def test_first_write_then_nothing_changes(tmp_path):
    writer = FakeWriter()
    files, changed, diff = write_files(dests(tmp_path), CONTENTS, writer)
    assert changed and all(item["changed"] for item in files.values())
    assert writer.files[str(tmp_path / "k.pem")] == KEY.encode()
    assert dict(writer.replaced)[str(tmp_path / "k.pem")] is True  # written as a secret
    assert writer.modes[str(tmp_path / "k.pem")] == "0600" and writer.modes[str(tmp_path / "c.pem")] == "0644"
    writer.replaced.clear()
    files, changed, _diff = write_files(dests(tmp_path), CONTENTS, writer)
    assert not changed and not writer.replaced
    assert not any(item["changed"] for item in files.values())


def test_check_mode_writes_nothing_and_reports_the_same(tmp_path):
    writer = FakeWriter()
    files, changed, diff = write_files(dests(tmp_path), CONTENTS, writer, check_mode=True)
    assert changed and files["privatekey"]["changed"]
    assert writer.files == {} and writer.replaced == [] and writer.attributes == []
    assert diff["before"][str(tmp_path / "k.pem")] == {"content": "absent", "mode": None}
    assert diff["after"][str(tmp_path / "k.pem")] == {"content": "new content", "mode": "0600"}


def test_only_the_file_that_differs_is_replaced(tmp_path):
    paths = dests(tmp_path)
    writer = FakeWriter({paths[kind]: CONTENTS[kind].encode() for kind in paths},
                        {paths["cert"]: "0644", paths["chain"]: "0644", paths["fullchain"]: "0644",
                         paths["privatekey"]: "0600"})
    renewed = dict(CONTENTS, cert="NEW LEAF\n")
    files, changed, diff = write_files(paths, renewed, writer)
    assert writer.replaced == [(paths["cert"], False)]
    assert changed and files["cert"]["changed"] and not files["privatekey"]["changed"]
    same = {"content": "same content", "mode": "0644"}
    assert diff == {"before": {paths["cert"]: {"content": "other content", "mode": "0644"}, paths["chain"]: same,
                               paths["fullchain"]: same, paths["privatekey"]: {"content": "same content", "mode": "0600"}},
                    "after": {paths["cert"]: {"content": "new content", "mode": "0644"}, paths["chain"]: same,
                              paths["fullchain"]: same, paths["privatekey"]: {"content": "same content", "mode": "0600"}}}


def test_a_mode_change_alone_is_a_change(tmp_path):
    paths = {"cert": str(tmp_path / "c.pem")}
    writer = FakeWriter({paths["cert"]: b"LEAF\n"}, {paths["cert"]: "0644"})
    files, changed, diff = write_files(paths, CONTENTS, writer, modes={"cert": "0640"})
    assert changed and writer.replaced == [] and writer.modes[paths["cert"]] == "0640"
    assert diff == {"before": {paths["cert"]: {"content": "same content", "mode": "0644"}},
                    "after": {paths["cert"]: {"content": "same content", "mode": "0640"}}}


@pytest.mark.parametrize("params, expected", [
    ({}, {"cert": "0644", "privatekey": "0600"}),
    ({"mode": "0640", "privatekey_mode": "0640"}, {"cert": "0640", "privatekey": "0640"}),
    ({"mode": 0o444, "privatekey_mode": 0o400}, {"cert": "0444", "privatekey": "0400"}),  # YAML 0444: an int
    ({"privatekey_mode": "u=rw,g=r"}, {"cert": "0644", "privatekey": "u=rw,g=r"}),
    ({"privatekey_mode": "go-rwx"}, {"cert": "0644", "privatekey": "go-rwx"}),
    ({"mode": "0664"}, {"cert": "0664", "privatekey": "0600"}),  # certificates are public
])
def test_file_modes(params, expected):
    modes = file_modes(params)
    assert (modes["cert"], modes["chain"], modes["fullchain"], modes["privatekey"]) == (
        expected["cert"], expected["cert"], expected["cert"], expected["privatekey"])


@pytest.mark.parametrize("privatekey_mode", ["0644", "644", "0601", "0602", 0o604, "o+r", "a+r", "+w", "u=rw,o=r",
                                             "o=g", "ugo+r"])
def test_a_key_mode_open_to_others_is_refused(privatekey_mode):
    with pytest.raises(ConfigurationError, match="gives users other than the owner and the group") as caught:
        file_modes({"privatekey_mode": privatekey_mode})
    assert caught.value.option == "privatekey_mode"


@pytest.mark.parametrize("privatekey_mode", ["rw", "0999", "u=rw;g=r", ""])
def test_a_key_mode_that_is_no_mode_is_refused(privatekey_mode):
    with pytest.raises(ConfigurationError, match="privatekey_mode") as caught:
        file_modes({"privatekey_mode": privatekey_mode})
    assert caught.value.option == "privatekey_mode"


def test_the_diff_never_holds_key_material(tmp_path):
    _files, _changed, diff = write_files(dests(tmp_path), CONTENTS, FakeWriter())
    assert "FAKE-KEY" not in repr(diff) and "LEAF" not in repr(diff)


def test_what_the_api_lacks_is_left_alone(tmp_path):
    paths = dests(tmp_path)
    writer = FakeWriter()
    files, _changed, _diff = write_files(paths, dict(CONTENTS, chain=None, privatekey=None), writer)
    assert files["privatekey"] == {"path": paths["privatekey"], "changed": False, "missing": True}
    assert files["chain"]["missing"] and paths["privatekey"] not in writer.files


def test_destinations_are_checked_before_any_call(tmp_path):
    assert destinations({"cert_dest": str(tmp_path / "c.pem")}) == {"cert": str(tmp_path / "c.pem")}
    with pytest.raises(ConfigurationError, match="does not exist") as caught:
        destinations({"fullchain_dest": str(tmp_path / "missing" / "f.pem")})
    assert caught.value.option == "fullchain_dest"
    with pytest.raises(ConfigurationError, match="name the same file"):
        destinations({"cert_dest": str(tmp_path / "x.pem"), "privatekey_dest": str(tmp_path / "x.pem")})
    with pytest.raises(ConfigurationError, match="is a directory"):
        destinations({"cert_dest": str(tmp_path)})


# --- the AnsibleModule writer on disk ---------------------------------------------------------------
def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_key_is_0600_from_the_rename_on(tmp_path, file_module, loose_umask):
    path = str(tmp_path / "k.pem")
    seen = []
    real_rename = os.rename

    def rename(src, dst):
        seen.append(mode_of(src))
        real_rename(src, dst)

    writer = AnsibleModuleFileWriter(file_module)
    os.rename = rename
    try:
        writer.replace(path, KEY.encode(), secret=True)
    finally:
        os.rename = real_rename
    # Before the task's mode is applied, the key was never readable by group or others.
    assert mode_of(path) == 0o600 and seen and all(mode & 0o077 == 0 for mode in seen)
    assert open(path, "rb").read() == KEY.encode()
    assert os.listdir(str(tmp_path)) == ["k.pem"]  # no temporary file left


def test_a_replaced_key_does_not_take_the_old_files_loose_mode(tmp_path, file_module, loose_umask):
    path = tmp_path / "k.pem"
    path.write_text("old")
    os.chmod(str(path), 0o644)
    AnsibleModuleFileWriter(file_module).replace(str(path), KEY.encode(), secret=True)
    assert mode_of(str(path)) == 0o600 and path.read_text() == KEY


def test_certificate_files_get_the_task_mode(tmp_path, file_module, loose_umask):
    path = str(tmp_path / "c.pem")
    writer = AnsibleModuleFileWriter(file_module)
    files, changed, _diff = write_files({"cert": path, "privatekey": str(tmp_path / "k.pem")}, CONTENTS, writer)
    assert changed and mode_of(path) == 0o644 and mode_of(str(tmp_path / "k.pem")) == 0o600
    inode = os.stat(path).st_ino
    files, changed, _diff = write_files({"cert": path, "privatekey": str(tmp_path / "k.pem")}, CONTENTS, writer)
    assert not changed and os.stat(path).st_ino == inode  # unchanged content: not rewritten
    files, changed, _diff = write_files({"cert": path}, CONTENTS, writer, modes={"cert": "0640"})
    assert changed and mode_of(path) == 0o640


def test_a_file_that_cannot_be_written_is_a_typed_error(tmp_path, file_module):
    # A regular file where the directory should be: refused to every user, root included.
    not_a_directory = tmp_path / "locked"
    not_a_directory.write_text("")
    with pytest.raises(FileWriteError, match="Could not write .*locked/c.pem"):
        AnsibleModuleFileWriter(file_module).replace(str(not_a_directory / "c.pem"), b"LEAF\n", secret=False)


def test_a_failed_move_is_a_typed_error_and_leaves_no_temporary_file(tmp_path, file_module):
    def refuse(*args, **kwargs):
        raise Exception("Could not replace")

    file_module.atomic_move = refuse
    with pytest.raises(FileWriteError, match="Could not write .*c.pem: Could not replace"):
        AnsibleModuleFileWriter(file_module).replace(str(tmp_path / "c.pem"), b"LEAF\n", secret=False)
    assert os.listdir(str(tmp_path)) == []
