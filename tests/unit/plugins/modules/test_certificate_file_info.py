# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The certificate_file_info module as Ansible runs it: options in, JSON out."""

from __future__ import annotations

import base64
import datetime
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.alicloud.cas.plugins.modules import certificate_file_info
from tests.emulator.ca import IssuingCA, cert_pem, generate_rsa_key, private_key_pem

FILES = ("cert.pem", "chain.pem", "fullchain.pem", "privkey.pem")


@pytest.fixture(autouse=True)
def module_process(one_module_run):
    """Every test here is one module run."""


def run(args, capsys):
    """(result, raw output) of one module run."""
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            certificate_file_info.main()
    text = capsys.readouterr().out
    return json.loads(text), text


@pytest.fixture(scope="module")
def issuing_ca():
    return IssuingCA()


def _cas_directory(root, domain, issuing_ca):
    """A directory as certificate_request_info saves a certificate whose key CAS generated (PKCS#1 RSA)."""
    key = generate_rsa_key()
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = cert_pem(issuing_ca.issue(key.public_key(), domain, now - datetime.timedelta(days=1),
                                     now + datetime.timedelta(days=89)))
    directory = root / domain
    directory.mkdir()
    contents = {"cert.pem": leaf, "chain.pem": issuing_ca.intermediate_pem,
                "fullchain.pem": leaf + issuing_ca.intermediate_pem, "privkey.pem": private_key_pem(key)}
    for name, text in contents.items():
        (directory / name).write_text(text)
    os.chmod(str(directory / "privkey.pem"), 0o600)
    return directory, contents["privkey.pem"]


def _item(directory, domain):
    return {"name": domain, "path": str(directory / "fullchain.pem"), "domain": domain,
            "privatekey_path": str(directory / "privkey.pem"),
            "expected_files": [str(directory / name) for name in FILES]}


def test_batch_result_of_cas_generated_key_directories_holds_no_key_material(tmp_path, capsys, issuing_ca):
    www, www_key = _cas_directory(tmp_path, "www.example.com", issuing_ca)
    shop, shop_key = _cas_directory(tmp_path, "shop.example.com", issuing_ca)
    os.remove(str(shop / "chain.pem"))
    result, text = run({"certificates": [_item(www, "www.example.com"), _item(shop, "shop.example.com"),
                                         _item(www, "other.example.com")]}, capsys)
    assert result.get("failed") is not True, result
    names = [item["name"] for item in result["certificates"]]
    assert names == ["www.example.com", "shop.example.com", "other.example.com"]
    first, second, third = result["certificates"]
    assert (first["needs_renewal"], first["key_matches"], first["missing_files"]) == (False, True, [])
    assert (second["needs_renewal"], second["missing_files"]) == (False, [str(shop / "chain.pem")])
    assert third["needs_renewal"] is True and third["key_matches"] is True
    assert "PRIVATE KEY" not in text
    for key in (www_key, shop_key):
        body = "".join(key.splitlines()[1:-1])
        assert body[:64] not in text
        # Nor the key's DER in another encoding.
        assert base64.b64decode(body).hex()[:64] not in text


def test_bad_item_fails_naming_it(tmp_path, capsys):
    items = [{"path": str(tmp_path / "a.pem"), "domain": "a.example.com"},
             {"path": str(tmp_path / "b.pem"), "domains": ["b.example.com", "not a domain"]}]
    result, _text = run({"certificates": items}, capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("certificates[1].domains[1] 'not a domain'")
    assert "certificates" not in result


def test_an_unreadable_item_fails_the_task_but_every_item_is_returned(tmp_path, capsys):
    (tmp_path / "broken.pem").mkdir()
    items = [{"name": "broken", "path": str(tmp_path / "broken.pem"), "domain": "a.example.com"},
             {"name": "new", "path": str(tmp_path / "new.pem"), "domain": "b.example.com"}]
    result, _text = run({"certificates": items}, capsys)
    assert result["failed"] is True
    assert "1 of 2 certificates could not be inspected: broken" in result["msg"]
    assert [(item["name"], item["failed"]) for item in result["certificates"]] == [("broken", True), ("new", False)]


def test_single_and_batch_options_are_exclusive(tmp_path, capsys):
    result, _text = run({"path": str(tmp_path / "a.pem"), "domain": "a.example.com",
                         "certificates": [{"path": str(tmp_path / "a.pem"), "domain": "a.example.com"}]}, capsys)
    assert result["failed"] is True
    assert "mutually exclusive" in result["msg"]


def test_single_mode_still_answers_as_before(tmp_path, capsys, issuing_ca):
    www, _key = _cas_directory(tmp_path, "www.example.com", issuing_ca)
    result, text = run({"path": str(www / "fullchain.pem"), "privatekey_path": str(www / "privkey.pem"),
                        "domain": "www.example.com"}, capsys)
    assert result["changed"] is False
    assert result["needs_renewal"] is False
    assert result["names"] == ["www.example.com"]
    assert "certificates" not in result
    assert "PRIVATE KEY" not in text


def test_batch_items_return_the_files_modes_and_owners(tmp_path, capsys, issuing_ca):
    www, _key = _cas_directory(tmp_path, "www.example.com", issuing_ca)
    os.chmod(str(www / "cert.pem"), 0o640)
    os.remove(str(www / "chain.pem"))
    result, _text = run({"certificates": [_item(www, "www.example.com")]}, capsys)
    files = result["certificates"][0]["files"]
    assert sorted(files) == sorted(str(www / name) for name in ("cert.pem", "fullchain.pem", "privkey.pem"))
    assert files[str(www / "privkey.pem")]["mode"] == "0600"
    assert files[str(www / "cert.pem")]["mode"] == "0640"
    assert files[str(www / "cert.pem")]["uid"] == os.getuid()
    assert files[str(www / "cert.pem")]["gid"] == os.getgid()
    assert isinstance(files[str(www / "cert.pem")]["owner"], str)
