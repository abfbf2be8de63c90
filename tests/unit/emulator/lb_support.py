"""Shared by the ALB and NLB emulator tests: CAS certificates planted straight into the
emulator's state (as uploads), and seeding through the control API."""

from __future__ import annotations

import datetime

from cryptography.hazmat.primitives.asymmetric import ec

from tests.emulator import ca as ca_module
from tests.emulator.certificates import CasCertificate

DEMO_ACCOUNT = "1234567890123456"


def plant_certificate(emu, certificate_id: int, names=("www.example.com",), account_id: str = DEMO_ACCOUNT,
                      days_left: int = 60) -> CasCertificate:
    """A CAS certificate of ``account_id`` with id ``certificate_id``, covering ``names``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = emu.ca.issue(key.public_key(), names[0], now - datetime.timedelta(days=1),
                        now + datetime.timedelta(days=days_left), extra_names=names[1:])
    certificate = CasCertificate(certificate_id, account_id, f"cert-{certificate_id}",
                                 ca_module.cert_pem(leaf) + emu.ca.intermediate_pem,
                                 ca_module.private_key_pem(key), "upload", "ECC")
    with emu.state.lock:
        emu.state.uploaded_certificates[certificate_id] = certificate
    return certificate


def seed_listener(emu, product: str, **body) -> dict:
    return emu.control._call("POST", f"products/{product}/listeners", body)


def product_settings(emu, product: str, **settings) -> dict:
    return emu.control._call("POST", f"products/{product}/settings", settings)


def product_view(emu, product: str) -> dict:
    return emu.control._call("GET", f"products/{product}")
