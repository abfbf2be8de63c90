# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one validity reader and renewal rule, on every cryptography from 3.4.8 on.

The target-crypto stage of ``make test`` runs this file with cryptography 3.4.8 and 41.0.7.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.alicloud.cas.plugins.module_utils import _x509

UTC = datetime.timezone.utc
START = datetime.datetime(2026, 11, 1, 8, 30, 0, tzinfo=UTC)
END = datetime.datetime(2027, 1, 30, 8, 30, 0, tzinfo=UTC)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _cert(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(START).not_valid_after(END)
            .sign(key, hashes.SHA256()))


def test_validity_is_timezone_aware_utc():
    not_before, not_after = _x509.validity(_cert(_key()))
    assert (not_before, not_after) == (START, END)
    assert not_before.tzinfo is not None and not_after.utcoffset() == datetime.timedelta(0)
    assert _x509.iso(not_after) == "2027-01-30T08:30:00Z"
    assert _x509.iso(None) is None


def test_load_pem_certificate_takes_str_or_bytes_and_the_first_of_a_chain():
    key = _key()
    pem = _cert(key).public_bytes(serialization.Encoding.PEM)
    other = _cert(_key()).public_bytes(serialization.Encoding.PEM)
    for data in (pem, pem.decode("ascii"), pem + other):
        loaded = _x509.load_pem_certificate(data)
        assert _x509.public_key_der(loaded) == _x509.public_key_der(key)
    assert _x509.load_pem_certificate(b"no certificate here") is None


@pytest.mark.parametrize("left, due", [
    (datetime.timedelta(days=30, seconds=1), False),
    (datetime.timedelta(days=30), False),
    (datetime.timedelta(days=29, hours=23, minutes=59, seconds=59), True),
    (datetime.timedelta(days=-1), True),
])
def test_renewal_due_decides_to_the_second(left, due):
    now = datetime.datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC)
    assert _x509.renewal_due(now + left, 30, now) is due


def test_public_key_der_is_the_same_for_key_certificate_and_csr():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")]))
           .sign(key, hashes.SHA256()))
    der = _x509.public_key_der(key)
    assert der == _x509.public_key_der(key.public_key()) == _x509.public_key_der(csr)
    assert der == _x509.public_key_der(_cert(key))
    assert der != _x509.public_key_der(_key())


def test_no_module_util_imports_cryptography_until_a_certificate_is_parsed():
    # Every task is a fresh Python process: the API modules must not pay for cryptography's
    # import when they parse no certificate or CSR, nor for an XML parser when no error
    # answer is XML.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    utils = sorted(name[:-3] for name in os.listdir(os.path.join(root, "plugins", "module_utils"))
                   if name.startswith("_") and name.endswith(".py") and name != "__init__.py")
    code = ("import sys\n"
            "for name in %r:\n"
            "    try:\n"
            "        __import__('ansible_collections.alicloud.cas.plugins.module_utils.' + name)\n"
            "    except ImportError as exc:\n"
            "        if 'ansible' not in str(exc):\n"  # _module needs ansible-core, absent on target venvs
            "            raise\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cryptography' or m.startswith('xml.etree')))\n"
            % utils)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
