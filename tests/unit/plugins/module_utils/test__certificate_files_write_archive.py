# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Archives of certificate files: written by certificate_request_info on the API host, put in
place on each host by certificate_files, in one transfer."""

from __future__ import annotations

import io
import os
import stat
import tarfile

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import (
    AnsibleModuleFileWriter,
    archive_bytes,
    install_archive,
    read_archive,
    write_archive,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from tests.unit.plugins.module_utils.test__certificate_files_write import KEY, FakeWriter

WWW = {"cert": "LEAF-WWW\n", "chain": "CHAIN\n", "fullchain": "LEAF-WWW\nCHAIN\n", "privatekey": KEY}
SHOP = {"cert": "LEAF-SHOP\n", "chain": "CHAIN\n", "fullchain": "LEAF-SHOP\nCHAIN\n", "privatekey": None}
NOT_BEFORE = 1795000000


def members(shop=None):
    return [("www.example.com", WWW, NOT_BEFORE), ("_wildcard.example.com", shop or SHOP, NOT_BEFORE + 60)]


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_archive_layout_modes_owner_and_time():
    with tarfile.open(fileobj=io.BytesIO(archive_bytes(members())), mode="r:") as archive:
        infos = archive.getmembers()
        layout = [(info.name, info.type, oct(info.mode), info.mtime, info.uid, info.gid, info.uname, info.gname)
                  for info in infos]
        key = archive.extractfile("www.example.com/privkey.pem").read()
    assert layout == [
        ("www.example.com", tarfile.DIRTYPE, "0o755", NOT_BEFORE, 0, 0, "", ""),
        ("www.example.com/cert.pem", tarfile.REGTYPE, "0o644", NOT_BEFORE, 0, 0, "", ""),
        ("www.example.com/chain.pem", tarfile.REGTYPE, "0o644", NOT_BEFORE, 0, 0, "", ""),
        ("www.example.com/fullchain.pem", tarfile.REGTYPE, "0o644", NOT_BEFORE, 0, 0, "", ""),
        ("www.example.com/privkey.pem", tarfile.REGTYPE, "0o600", NOT_BEFORE, 0, 0, "", ""),
        # no key for a certificate requested with a CSR: no privkey.pem
        ("_wildcard.example.com", tarfile.DIRTYPE, "0o755", NOT_BEFORE + 60, 0, 0, "", ""),
        ("_wildcard.example.com/cert.pem", tarfile.REGTYPE, "0o644", NOT_BEFORE + 60, 0, 0, "", ""),
        ("_wildcard.example.com/chain.pem", tarfile.REGTYPE, "0o644", NOT_BEFORE + 60, 0, 0, "", ""),
        ("_wildcard.example.com/fullchain.pem", tarfile.REGTYPE, "0o644", NOT_BEFORE + 60, 0, 0, "", ""),
    ]
    assert key == KEY.encode()


def test_the_same_certificates_give_the_same_bytes():
    assert archive_bytes(members()) == archive_bytes(members())
    assert archive_bytes(members()) != archive_bytes(members(dict(SHOP, cert="LEAF-SHOP-2\n")))


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "/etc"])
def test_a_directory_must_be_one_path_component(name):
    with pytest.raises(ConfigurationError, match="not a directory name"):
        archive_bytes([(name, WWW, 0)])


def test_archive_written_0600_once_then_unchanged(tmp_path):
    path = str(tmp_path / "bundle.tar")
    writer = FakeWriter()
    assert write_archive(path, members(), writer, check_mode=True) and writer.files == {}
    assert write_archive(path, members(), writer)
    assert writer.replaced == [(path, True)] and writer.modes[path] == "0600"  # secret: 0600 from the start
    assert not write_archive(path, members(), writer) and len(writer.replaced) == 1
    assert write_archive(path, members(dict(SHOP, chain="CHAIN-2\n")), writer) and len(writer.replaced) == 2


def test_archive_on_disk_is_0600_and_not_rewritten(tmp_path, file_module, loose_umask):
    path = str(tmp_path / "bundle.tar")
    writer = AnsibleModuleFileWriter(file_module)
    assert write_archive(path, members(), writer) and mode_of(path) == 0o600
    inode = os.stat(path).st_ino
    assert not write_archive(path, members(), writer) and os.stat(path).st_ino == inode


def write_tar(path, entries):
    with tarfile.open(path, "w") as archive:
        for info, data in entries:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)


def info(name, kind=tarfile.REGTYPE, size=0, linkname=""):
    entry = tarfile.TarInfo(name)
    entry.type, entry.size, entry.linkname = kind, size, linkname
    return entry


@pytest.mark.parametrize("entries", [
    [(info("www", tarfile.DIRTYPE), None), (info("www/cert.pem", tarfile.SYMTYPE, linkname="/etc/shadow"), None)],
    [(info("www", tarfile.DIRTYPE), None), (info("www/../../evil.pem", size=1), b"x")],
    [(info("/etc", tarfile.DIRTYPE), None)],
    [(info("www", tarfile.DIRTYPE), None), (info("www/other.txt", size=1), b"x")],
    [(info("www/cert.pem", size=1), b"x")],  # a file before its directory
    [(info("..", tarfile.DIRTYPE), None)],
])
def test_only_the_layout_written_is_accepted(tmp_path, entries):
    path = str(tmp_path / "bad.tar")
    write_tar(path, entries)
    with pytest.raises(ConfigurationError) as caught:
        read_archive(path)
    assert caught.value.option == "src"


def test_not_an_archive_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.tar"
    path.write_bytes(b"\x00not a tar file" * 50)
    with pytest.raises(ConfigurationError, match="not an archive written by certificate_request_info"):
        read_archive(str(path))


def test_install_writes_every_directory_then_nothing_changes(tmp_path, file_module, loose_umask):
    src = str(tmp_path / "bundle.tar")
    (tmp_path / "bundle.tar").write_bytes(archive_bytes(members()))
    dest = str(tmp_path / "etc" / "ssl")  # missing parents are created too
    writer = AnsibleModuleFileWriter(file_module)
    certificates, changed, diff = install_archive(src, dest, writer)
    assert changed and [item["dir"] for item in certificates] == ["www.example.com", "_wildcard.example.com"]
    assert all(item["changed"] for item in certificates)
    www = os.path.join(dest, "www.example.com")
    assert open(os.path.join(www, "privkey.pem")).read() == KEY and mode_of(os.path.join(www, "privkey.pem")) == 0o600
    assert open(os.path.join(www, "fullchain.pem")).read() == WWW["fullchain"]
    assert mode_of(os.path.join(www, "cert.pem")) == 0o644 and mode_of(www) == 0o755
    assert not os.path.exists(os.path.join(dest, "_wildcard.example.com", "privkey.pem"))
    assert "FAKE-KEY" not in repr((certificates, diff)) and "LEAF" not in repr((certificates, diff))
    inodes = dict((name, os.stat(os.path.join(www, name)).st_ino) for name in os.listdir(www))

    certificates, changed, _diff = install_archive(src, dest, writer)
    assert not changed and not any(item["changed"] for item in certificates)
    assert dict((name, os.stat(os.path.join(www, name)).st_ino) for name in os.listdir(www)) == inodes


def test_install_changes_only_the_certificate_whose_content_changed(tmp_path, file_module, loose_umask):
    src = tmp_path / "bundle.tar"
    src.write_bytes(archive_bytes(members()))
    dest = str(tmp_path / "certs")
    writer = AnsibleModuleFileWriter(file_module)
    install_archive(str(src), dest, writer)
    os.chmod(os.path.join(dest, "www.example.com", "privkey.pem"), 0o640)  # a loosened key is put right
    src.write_bytes(archive_bytes(members(dict(SHOP, cert="LEAF-SHOP-2\n"))))
    certificates, changed, _diff = install_archive(str(src), dest, writer)
    www, shop = certificates
    assert changed and www["changed"] and shop["changed"]
    assert www["files"]["privatekey"]["changed"] and not www["files"]["cert"]["changed"]
    assert shop["files"]["cert"]["changed"] and not shop["files"]["chain"]["changed"]
    assert mode_of(os.path.join(dest, "www.example.com", "privkey.pem")) == 0o600


def test_install_in_check_mode_writes_nothing(tmp_path, file_module):
    src = tmp_path / "bundle.tar"
    src.write_bytes(archive_bytes(members()))
    dest = tmp_path / "certs"
    certificates, changed, _diff = install_archive(str(src), str(dest), AnsibleModuleFileWriter(file_module),
                                                   check_mode=True)
    assert changed and all(item["changed"] for item in certificates) and not dest.exists()
