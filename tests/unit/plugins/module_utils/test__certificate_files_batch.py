# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""certificate_file_info's batch mode: several certificate directories inspected in one run."""

from __future__ import annotations

import os

import pytest

from ansible_collections.alicloud.cas.plugins.module_utils import _certificate_files as cf
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from tests.unit.plugins.module_utils.test__certificate_files import NOW, _cert, _csr, _key, _key_pem

FILES = ("cert.pem", "chain.pem", "fullchain.pem", "privkey.pem")


def _directory(root, label, names, days=90, key=None, cert_key=None, skip=()):
    """A certificate directory as the role lays it out; ``cert_key`` signs for another key."""
    key = key or _key()
    directory = root / label
    directory.mkdir()
    leaf = _cert(cert_key or key, names, days=days)
    contents = {"cert.pem": leaf, "chain.pem": b"", "fullchain.pem": leaf, "privkey.pem": _key_pem(key)}
    for name in FILES:
        if name not in skip:
            (directory / name).write_bytes(contents[name])
    return directory


def _item(directory, name=None, **options):
    item = {"name": name or directory.name, "path": str(directory / "fullchain.pem"),
            "privatekey_path": str(directory / "privkey.pem"),
            "expected_files": [str(directory / name) for name in FILES]}
    item.update(options)
    return item


def _params(items, **options):
    params = {"path": None, "domain": None, "privatekey_path": None, "csr": None, "renew_before_days": 30,
              "certificates": items}
    params.update(options)
    return params


def test_several_items_in_input_order(tmp_path):
    good = _directory(tmp_path, "www", ["www.example.com"])
    due = _directory(tmp_path, "api", ["api.example.com"], days=20)
    result = cf.file_info(_params([_item(good, domain="www.example.com"), _item(due, domain="api.example.com"),
                                   _item(tmp_path / "new", name="new", domain="new.example.com")]), now=NOW)
    assert result["changed"] is False
    names = [item["name"] for item in result["certificates"]]
    assert names == ["www", "api", "new"]
    www, api, new = result["certificates"]
    assert (www["needs_renewal"], www["failed"], www["missing_files"]) == (False, False, [])
    assert www["not_after"] == "2027-02-25T12:00:00Z"
    assert "days left" in www["reason"]
    assert api["needs_renewal"] is True
    assert "within renew_before_days (30)" in api["reason"]
    assert new["exists"] is False
    assert new["reason"] == "no certificate file yet"
    assert new["missing_files"] == [str(tmp_path / "new" / name) for name in FILES]


def test_item_renew_before_days_overrides_the_module_default(tmp_path):
    due = _directory(tmp_path, "api", ["api.example.com"], days=20)
    items = [_item(due, name="default", domain="api.example.com"),
             _item(due, name="own", domain="api.example.com", renew_before_days=7)]
    default, own = cf.file_info(_params(items), now=NOW)["certificates"]
    assert default["needs_renewal"] is True
    assert own["needs_renewal"] is False


def test_key_mismatch_in_one_item(tmp_path):
    mismatched = _directory(tmp_path, "www", ["www.example.com"], cert_key=_key())
    good = _directory(tmp_path, "shop", ["shop.example.com"])
    bad, fine = cf.file_info(_params([_item(mismatched, domain="www.example.com"),
                                      _item(good, domain="shop.example.com")]), now=NOW)["certificates"]
    assert bad["key_matches"] is False
    assert bad["needs_renewal"] is True
    assert bad["reason"] == "the certificate does not belong to the private key"
    assert fine["needs_renewal"] is False


def test_missing_key_file_means_no_match(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"], skip=("privkey.pem",))
    item, = cf.file_info(_params([_item(directory, domain="www.example.com")]), now=NOW)["certificates"]
    assert item["key_matches"] is False
    assert item["reason"] == "the private key file is missing or empty"
    assert item["missing_files"] == [str(directory / "privkey.pem")]


def test_csr_stands_in_for_the_key_per_item(tmp_path):
    key = _key()
    directory = _directory(tmp_path, "www", ["www.example.com"], key=key, skip=("privkey.pem",))
    item = _item(directory, domain="www.example.com", privatekey_path=None,
                 csr=_csr(key, "www.example.com").decode("ascii"))
    result, = cf.file_info(_params([item]), now=NOW)["certificates"]
    assert result["needs_renewal"] is False


def test_multi_name_item_needs_every_name_covered(tmp_path):
    directory = _directory(tmp_path, "shop", ["shop.example.com", "pay.example.com"])
    items = [_item(directory, name="both", domains=["shop.example.com", "pay.example.com"]),
             _item(directory, name="three", domains=["shop.example.com", "cart.example.com", "pay.example.com",
                                                     "Help.Example.com"])]
    both, three = cf.file_info(_params(items), now=NOW)["certificates"]
    assert both["covers_domain"] is True
    assert both["needs_renewal"] is False
    assert "names shop.example.com, pay.example.com" in both["reason"]
    assert three["covers_domain"] is False
    assert three["needs_renewal"] is True
    assert three["reason"] == ("the certificate does not name cart.example.com, help.example.com"
                               " (it names shop.example.com, pay.example.com)")


def test_companion_files_that_are_missing_are_listed_without_forcing_renewal(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"], skip=("chain.pem",))
    os.remove(str(directory / "cert.pem"))
    os.mkdir(str(directory / "cert.pem"))  # not a file
    os.symlink(str(directory / "fullchain.pem"), str(directory / "linked.pem"))
    os.symlink(str(directory / "gone.pem"), str(directory / "dangling.pem"))
    item = _item(directory, domain="www.example.com",
                 expected_files=[str(directory / name) for name in ("cert.pem", "chain.pem", "privkey.pem",
                                                                    "linked.pem", "dangling.pem")])
    result, = cf.file_info(_params([item]), now=NOW)["certificates"]
    assert result["missing_files"] == [str(directory / "cert.pem"), str(directory / "chain.pem"),
                                       str(directory / "dangling.pem")]
    assert result["needs_renewal"] is False


def test_without_expected_files_nothing_is_missing(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"], skip=("chain.pem", "cert.pem"))
    item = _item(directory, domain="www.example.com")
    del item["expected_files"]
    assert cf.file_info(_params([item]), now=NOW)["certificates"][0]["missing_files"] == []


def test_unreadable_item_fails_alone_and_the_task_fails_at_the_end(tmp_path):
    good = _directory(tmp_path, "www", ["www.example.com"])
    broken = _directory(tmp_path, "api", ["api.example.com"], skip=("privkey.pem",))
    (broken / "privkey.pem").mkdir()  # exists, but cannot be read as a file
    with pytest.raises(cf.BatchError) as caught:
        cf.file_info(_params([_item(broken, domain="api.example.com"), _item(good, domain="www.example.com")]),
                     now=NOW)
    assert "1 of 2 certificates could not be inspected: api" in str(caught.value)
    failed, fine = caught.value.to_result()["certificates"]
    assert failed["failed"] is True
    assert failed["needs_renewal"] is True
    assert failed["exists"] is True
    assert failed["msg"].startswith("Cannot read %s" % (broken / "privkey.pem"))
    assert failed["reason"] == failed["msg"]
    assert (fine["failed"], fine["needs_renewal"]) == (False, False)


def test_name_defaults_to_the_path(tmp_path):
    item = {"path": str(tmp_path / "fullchain.pem"), "domain": "www.example.com"}
    assert cf.file_info(_params([item]), now=NOW)["certificates"][0]["name"] == str(tmp_path / "fullchain.pem")


@pytest.mark.parametrize("change, option", [
    ({"path": None}, "certificates[1].path"),
    ({"domain": None}, "certificates[1].domain"),
    ({"domains": ["b.example.com"]}, "certificates[1].domain"),
    ({"domain": None, "domains": []}, "certificates[1].domains"),
    ({"domain": "bad domain.example.com"}, "certificates[1].domain"),
    ({"domain": None, "domains": ["ok.example.com", "10.0.0.1"]}, "certificates[1].domains[1]"),
    ({"renew_before_days": -1}, "certificates[1].renew_before_days"),
])
def test_bad_item_is_refused_by_name_before_any_file_is_read(tmp_path, monkeypatch, change, option):
    reads = []
    monkeypatch.setattr(cf, "read_file", reads.append)
    first = {"name": "a", "path": str(tmp_path / "a.pem"), "domain": "a.example.com"}
    second = dict({"name": "b", "path": str(tmp_path / "b.pem"), "domain": "b.example.com"}, **change)
    with pytest.raises(ConfigurationError) as caught:
        cf.file_info(_params([first, second]), now=NOW)
    assert str(caught.value).startswith(option)
    assert caught.value.option == option
    assert reads == []


def test_negative_module_default_is_refused_in_batch_mode(tmp_path):
    item = {"path": str(tmp_path / "a.pem"), "domain": "a.example.com"}
    with pytest.raises(ConfigurationError, match="^renew_before_days must be 0 or more"):
        cf.file_info(_params([item], renew_before_days=-1), now=NOW)


@pytest.mark.parametrize("option", ["path", "domain", "privatekey_path", "csr"])
def test_single_mode_options_are_refused_beside_certificates(tmp_path, option):
    item = {"path": str(tmp_path / "a.pem"), "domain": "a.example.com"}
    with pytest.raises(ConfigurationError, match="^%s cannot be combined with certificates" % option):
        cf.file_info(_params([item], **{option: "x"}), now=NOW)


def test_empty_batch_returns_an_empty_list():
    assert cf.file_info(_params([]), now=NOW) == {"changed": False, "certificates": []}


def test_batch_results_hold_no_key_material(tmp_path):
    key = _key()
    directory = _directory(tmp_path, "www", ["www.example.com"], key=key)
    key_pem = _key_pem(key).decode("ascii")
    result = cf.file_info(_params([_item(directory, domain="www.example.com"),
                                   _item(directory, name="other", domain="other.example.com")]), now=NOW)
    text = repr(result)
    assert "PRIVATE KEY" not in text
    for line in key_pem.splitlines()[1:-1]:
        assert line not in text


def test_single_mode_is_unchanged(tmp_path):
    directory = _directory(tmp_path, "www", ["www.example.com"])
    params = {"path": str(directory / "fullchain.pem"), "domain": "www.example.com",
              "privatekey_path": str(directory / "privkey.pem"), "csr": None, "renew_before_days": 30,
              "certificates": None}
    result = cf.file_info(params, now=NOW)
    assert "certificates" not in result
    assert "missing_files" not in result and "name" not in result
    assert result["changed"] is False
    assert result["needs_renewal"] is False
    with pytest.raises(ConfigurationError, match="missing required arguments: domain"):
        cf.file_info(dict(params, domain=None), now=NOW)
