"""The in-process emulator: state, services and the HTTPS server, as one context manager."""

import dataclasses
import json
import os
import shutil
import ssl
import tempfile
import threading

import trustme

from . import certificates
from .alidns import AlidnsService
from .ca import IssuingCA
from .cas import CasService
from .control import ControlApi, PREFIX
from .control_client import EmulatorControl
from .faults import FaultInjector
from .gateway import Gateway
from .cas_certificates import CasCertificateViews
from .instances import InstanceService
from .edge import EdgeServer
from .products import build_products
# Imported for their registration lines (PRODUCT_CLASSES.append): the five deployment products.
from . import alb, cdn, clb, nlb  # noqa: F401 pylint: disable=unused-import
from .seeds import apply_seed
from .server import EmulatorHTTPServer
from .state import Settings, State, validity_days_value


class Emulator:
    """Alibaba Cloud CAS + Alidns stand-in on loopback.

    ``with Emulator(tls=True, seed="demo") as emu:`` exposes ``base_url``, ``ca_path``
    (verifies the HTTPS listener), ``control_url``, ``issuer_ca_pem`` (root of issued
    customer certificates) and ``control`` (an :class:`EmulatorControl`).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: bool = True, seed: str = "demo",
                 state_dir: str | None = None, issue_delay: float = 0.0, auto_dns_validation: bool = False,
                 record_domain_style: str = "zone", validity_days: int | float = 90, faults: dict | None = None) -> None:
        self.host, self.port, self.tls, self.seed = host, port, tls, seed
        self.state_dir = state_dir
        self.initial_settings = Settings(issue_delay=issue_delay, auto_dns_validation=auto_dns_validation,
                                         record_domain_style=record_domain_style,
                                         validity_days=validity_days_value(validity_days))
        self.initial_faults = faults or {}
        self.state = State()
        self.faults = FaultInjector()
        self.ca = IssuingCA()
        self.alidns = AlidnsService(self.state)
        self.cas = CasService(self.state, self.ca, self.alidns)
        self.instances = InstanceService(self.state, self.ca)
        self.instances.register(self.cas.actions)  # V2.0 actions share the CAS version
        CasCertificateViews(self.state).register(self.cas.actions)  # ListCertificates, GetCertificateDetail
        self.products = build_products(self.state, certificates)
        self.gateway = Gateway(self.state, [self.cas, self.alidns, *self.products.values()], self.faults)
        self.control_api = ControlApi(self)
        self.issuer_ca_pem = self.ca.root_pem
        self.base_url = self.control_url = self.ca_path = None
        self.control: EmulatorControl | None = None
        self.edge = EdgeServer(self.state, self.products, host)
        self.edge_port: int | None = None
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self.reset(seed)

    def reset(self, seed: str | None = None) -> None:
        """Back to the start-up configuration with ``seed`` (default: the start-up seed)."""
        with self.state.lock:
            self.state.clear(dataclasses.replace(self.initial_settings))
            for product in self.products.values():
                product.clear()
            self.faults.configure(self.initial_faults)
            self.gateway.guards.clear()
            apply_seed(seed or self.seed, self.state, self.alidns, self.instances, self.products)

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> "Emulator":
        ssl_context = None
        if self.tls:
            self._tmpdir = tempfile.mkdtemp(prefix="alicloud-emulator-")
            authority = trustme.CA()
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            authority.issue_cert("127.0.0.1", "localhost").configure_cert(ssl_context)
            self.ca_path = os.path.join(self.state_dir or self._tmpdir, "emulator-ca.pem")
            if self.state_dir:
                os.makedirs(self.state_dir, exist_ok=True)
            authority.cert_pem.write_to_path(self.ca_path)
        self._server = EmulatorHTTPServer((self.host, self.port), self, ssl_context)
        host, port = self._server.server_address[:2]
        self.port = port
        scheme = "https" if self.tls else "http"
        self.base_url = f"{scheme}://{host}:{port}"
        self.control_url = f"{self.base_url}{PREFIX.rstrip('/')}"
        self.control = EmulatorControl(self.control_url, verify=self.ca_path if self.tls else True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="alicloud-emulator", daemon=True)
        self._thread.start()
        self.edge_port = self.edge.start()
        if self.state_dir:
            with open(os.path.join(self.state_dir, "emulator.json"), "w", encoding="utf-8") as handle:
                json.dump(self.info(), handle)
        return self

    def info(self) -> dict:
        """The CLI's JSON line: where to connect and what to trust."""
        return {"base_url": self.base_url, "ca_path": self.ca_path, "control_url": self.control_url,
                "pid": os.getpid(), "edge_port": self.edge_port}

    def stop(self) -> None:
        self.edge.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.control is not None:
            self.control.close()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def running_emulator(**kwargs):
    """Generator for pytest fixtures: ``yield from running_emulator(seed="demo")``."""
    with Emulator(**kwargs) as emulator:
        yield emulator
