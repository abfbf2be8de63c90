"""Classic Load Balancer (CLB; its API is SLB ``Version=2014-05-15``): HTTPS listeners, their
SNI domain extensions, and the regional server certificates they point at.

A CAS certificate reaches a CLB listener through a server certificate of the listener's
region: either a wrapper (UploadServerCertificate with AliCloudCertificateId, answered with
IsAliCloudCertificate 1) or a PEM upload (ServerCertificate + PrivateKey). Every upload makes a
new server certificate, even of the same certificate, as the real service does (reference
cas-deployment.md section 4: "reuse ... never upload a second one" is the client's duty).

Shapes follow alibabacloud_slb20140515 3.3.31's models. Error codes the SDK and the pages do
not settle are this emulator's picks; README "CLB" lists them.
"""

import dataclasses
import datetime
import itertools
import re
import secrets
import string

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from .errors import ApiError, int_param, invalid_parameter, require
from .products import PRODUCT_CLASSES

DEMO_ACCOUNT = "1234567890123456"
_ALNUM = string.ascii_lowercase + string.digits
SERVER_CERTIFICATE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,79}$")
EDGE_SUFFIX = ".clb.edge.test"
SETTINGS = {"international_wrap_refused": True}
# What a listener reports besides its certificate; SetLoadBalancerHTTPSListenerAttribute
# changes only what it is sent, so a certificate change must leave these as they are.
LISTENER_DEFAULTS = {
    "Bandwidth": -1, "Status": "running", "Scheduler": "wrr", "StickySession": "off", "HealthCheck": "on",
    "HealthCheckHttpCode": "http_2xx", "HealthCheckInterval": 2, "HealthyThreshold": 3, "UnhealthyThreshold": 3,
    "HealthCheckTimeout": 5, "TLSCipherPolicy": "tls_cipher_policy_1_0", "EnableHttp2": "on", "Gzip": "on",
    "XForwardedFor": "on", "RequestTimeout": 60, "IdleTimeout": 15, "AclStatus": "off", "Description": "",
}
# Settable listener parameters the emulator keeps (name -> int or str), all others are ignored.
SETTABLE = {name: type(value) for name, value in LISTENER_DEFAULTS.items() if name != "Status"}


def _time_fields(prefix: str, moment: datetime.datetime) -> dict:
    """``<prefix>Time`` as SLB writes it (``2026-12-08T01:02Z``) and ``<prefix>TimeStamp`` in ms."""
    moment = moment.astimezone(datetime.timezone.utc)
    return {f"{prefix}Time": moment.strftime("%Y-%m-%dT%H:%MZ"), f"{prefix}TimeStamp": int(moment.timestamp() * 1000)}


@dataclasses.dataclass
class ServerCertificate:
    server_certificate_id: str
    account_id: str
    region: str
    name: str
    certificate_pem: str | None  # PEM uploads only: a wrapper serves what CAS holds
    private_key_pem: str | None
    leaf: x509.Certificate
    created: datetime.datetime
    alicloud_certificate_id: int | None = None  # set for a wrapper (IsAliCloudCertificate 1)
    alicloud_certificate_name: str | None = None

    @property
    def names(self) -> list:
        try:
            sans = self.leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return []
        return [name.lower() for name in sans.get_values_for_type(x509.DNSName)]

    def answer(self) -> dict:
        """One server certificate as DescribeServerCertificates and UploadServerCertificate say it."""
        common = self.leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        # UNCONFIRMED (reference section 8 item 4): the hash of Fingerprint. SHA-1, colon separated.
        fingerprint = ":".join(f"{byte:02x}" for byte in self.leaf.fingerprint(hashes.SHA1()))  # nosec - a label
        body = {
            "ServerCertificateId": self.server_certificate_id, "ServerCertificateName": self.name,
            "RegionId": self.region, "ResourceGroupId": "rg-acfmdefault0001", "Fingerprint": fingerprint,
            "CommonName": str(common[0].value) if common else "",
            "SubjectAlternativeNames": {"SubjectAlternativeName": self.names},
            "IsAliCloudCertificate": 1 if self.alicloud_certificate_id is not None else 0,
            **_time_fields("Create", self.created), **_time_fields("Expire", self.leaf.not_valid_after_utc),
        }
        if self.alicloud_certificate_id is not None:
            body["AliCloudCertificateId"] = str(self.alicloud_certificate_id)
            body["AliCloudCertificateName"] = self.alicloud_certificate_name or ""
        return body


@dataclasses.dataclass
class DomainExtension:
    domain_extension_id: str
    domain: str
    server_certificate_id: str

    def answer(self) -> dict:
        return {"DomainExtensionId": self.domain_extension_id, "Domain": self.domain,
                "ServerCertificateId": self.server_certificate_id}


@dataclasses.dataclass
class Listener:
    port: int
    protocol: str
    server_certificate_id: str | None
    settings: dict
    domain_extensions: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class LoadBalancer:
    load_balancer_id: str
    account_id: str
    region: str
    listeners: dict  # port -> Listener


def load_balancer_not_found() -> ApiError:
    return ApiError(400, "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist.")


def listener_not_found() -> ApiError:
    # Terraform's provider matches this message for a missing listener; the code is the emulator's pick.
    return ApiError(400, "InvalidParameter", "The specified resource does not exist.")


def server_certificate_not_found() -> ApiError:
    return ApiError(400, "ServerCertificateId.NotFound", "The specified ServerCertificateId does not exist.")


def domain_extension_not_found() -> ApiError:
    return ApiError(400, "InvalidParameter.DomainExtensionId", "The specified DomainExtensionId does not exist.")


def international_wrap_refused() -> ApiError:
    # UNCONFIRMED (reference section 8 item 6; Terraform's slb_server_certificate page said
    # AliCloudCertificateId "is not supported on the international site"). The code is a guess.
    return ApiError(400, "InvalidParameter.AliCloudCertificateId",
                    "AliCloudCertificateId is not supported on the international site; upload the"
                    " ServerCertificate and PrivateKey instead.")


class ClbService:
    name = "clb"
    version = "2014-05-15"
    ram_prefix = "slb"  # CLB's API is SLB's: RAM actions are slb:<Action>
    host_id = "slb.aliyuncs.com"
    product = "Slb"
    # Calls per second per account. UNCONFIRMED: the SLB 2014-05-15 API pages checked (the six
    # actions below) state no QPS limit, and no SLB quota table was found; these are plausible
    # picks in line with the other products' pages (reads 100/s like CDN's Describe, writes
    # 30/s like CDN's Set, the creating UploadServerCertificate lower). Replace them when a
    # page documents them; tests that fire many calls set {"qps": 0}.
    qps_limits = {
        "DescribeLoadBalancerHTTPSListenerAttribute": 100,
        "DescribeDomainExtensions": 100,
        "DescribeServerCertificates": 100,
        "SetLoadBalancerHTTPSListenerAttribute": 30,
        "SetDomainExtensionAttribute": 30,
        "UploadServerCertificate": 10,
    }

    def __init__(self, state, certificates) -> None:
        self.state = state
        self.certificates = certificates
        self.actions = {
            "DescribeLoadBalancerHTTPSListenerAttribute": self.describe_https_listener_attribute,
            "SetLoadBalancerHTTPSListenerAttribute": self.set_https_listener_attribute,
            "DescribeDomainExtensions": self.describe_domain_extensions,
            "SetDomainExtensionAttribute": self.set_domain_extension_attribute,
            "DescribeServerCertificates": self.describe_server_certificates,
            "UploadServerCertificate": self.upload_server_certificate,
        }
        self.clear()

    def clear(self) -> None:
        self.load_balancers: dict = {}  # id -> LoadBalancer
        self.server_certificates: dict = {}  # id -> ServerCertificate
        self.settings = dict(SETTINGS)
        self._serial = itertools.count(0x1a2b3c4d000)

    # --- helpers ------------------------------------------------------------------------------
    def _load_balancer(self, caller, params: dict) -> LoadBalancer:
        (load_balancer_id,) = require(params, "LoadBalancerId")
        balancer = self.load_balancers.get(load_balancer_id)
        region = params.get("RegionId")
        if balancer is None or balancer.account_id != caller.account_id or (region and region != balancer.region):
            raise load_balancer_not_found()
        return balancer

    def _https_listener(self, caller, params: dict) -> tuple:
        balancer = self._load_balancer(caller, params)
        require(params, "ListenerPort")
        port = int_param(params, "ListenerPort", minimum=1, maximum=65535)
        listener = balancer.listeners.get(port)
        if listener is None or listener.protocol != "https":
            raise listener_not_found()
        return balancer, listener

    def _server_certificate(self, account_id: str, region: str, server_certificate_id: str) -> ServerCertificate:
        """Server certificates are regional: one of another region is not found, like an unknown id."""
        certificate = self.server_certificates.get(server_certificate_id)
        if certificate is None or certificate.account_id != account_id or certificate.region != region:
            raise server_certificate_not_found()
        return certificate

    def _new_id(self, region: str) -> str:
        return f"{next(self._serial):x}-{region}"

    def _wrap(self, account_id: str, region: str, cas_certificate, name: str | None) -> ServerCertificate:
        certificate = ServerCertificate(
            self._new_id(region), account_id, region, name or f"cas-{cas_certificate.certificate_id}", None, None,
            cas_certificate.leaf, datetime.datetime.now(datetime.timezone.utc),
            alicloud_certificate_id=cas_certificate.certificate_id, alicloud_certificate_name=cas_certificate.name)
        self.server_certificates[certificate.server_certificate_id] = certificate
        return certificate

    def _upload_pem(self, account_id: str, region: str, certificate_pem: str, key_pem: str,
                    name: str | None) -> ServerCertificate:
        try:
            leaf = x509.load_pem_x509_certificate(certificate_pem.encode())
        except ValueError:
            raise invalid_parameter("ServerCertificate", "It is not a PEM certificate.") from None
        try:
            key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        except (ValueError, TypeError):
            raise invalid_parameter("PrivateKey", "It is not an unencrypted PEM private key.") from None
        if key.public_key().public_numbers() != leaf.public_key().public_numbers():
            raise invalid_parameter("PrivateKey", "The private key does not match the ServerCertificate.")
        certificate = ServerCertificate(
            self._new_id(region), account_id, region, name or f"cert-{secrets.token_hex(4)}", certificate_pem,
            key_pem, leaf, datetime.datetime.now(datetime.timezone.utc))
        self.server_certificates[certificate.server_certificate_id] = certificate
        return certificate

    # --- actions ------------------------------------------------------------------------------
    def describe_https_listener_attribute(self, caller, params: dict) -> dict:
        with self.state.lock:
            balancer, listener = self._https_listener(caller, params)
            body = {**listener.settings, "ListenerPort": listener.port, "BackendServerPort": listener.port,
                    "LoadBalancerId": balancer.load_balancer_id,
                    "DomainExtensions": {"DomainExtension": [e.answer() for e in listener.domain_extensions]}}
            if listener.server_certificate_id:
                body["ServerCertificateId"] = listener.server_certificate_id
            return body

    def set_https_listener_attribute(self, caller, params: dict) -> dict:
        with self.state.lock:
            balancer, listener = self._https_listener(caller, params)
            changes = {}
            for name, kind in SETTABLE.items():
                if params.get(name, "") != "":
                    changes[name] = int_param(params, name) if kind is int else params[name]
            if params.get("ServerCertificateId"):
                self._server_certificate(caller.account_id, balancer.region, params["ServerCertificateId"])
                listener.server_certificate_id = params["ServerCertificateId"]
            listener.settings.update(changes)
            return {}

    def describe_domain_extensions(self, caller, params: dict) -> dict:
        require(params, "RegionId")
        with self.state.lock:
            _balancer, listener = self._https_listener(caller, params)
            wanted = params.get("DomainExtensionId")
            found = [e.answer() for e in listener.domain_extensions
                     if not wanted or e.domain_extension_id == wanted]
            return {"DomainExtensions": {"DomainExtension": found}}

    def set_domain_extension_attribute(self, caller, params: dict) -> dict:
        region, extension_id = require(params, "RegionId", "DomainExtensionId")
        with self.state.lock:
            extension = next((e for b in self.load_balancers.values()
                              if b.account_id == caller.account_id and b.region == region
                              for listener in b.listeners.values() for e in listener.domain_extensions
                              if e.domain_extension_id == extension_id), None)
            if extension is None:
                raise domain_extension_not_found()
            if params.get("ServerCertificateId"):
                self._server_certificate(caller.account_id, region, params["ServerCertificateId"])
                extension.server_certificate_id = params["ServerCertificateId"]
            return {}

    def describe_server_certificates(self, caller, params: dict) -> dict:
        (region,) = require(params, "RegionId")
        wanted = params.get("ServerCertificateId")
        with self.state.lock:
            found = [c.answer() for c in self.server_certificates.values()
                     if c.account_id == caller.account_id and c.region == region
                     and (not wanted or c.server_certificate_id == wanted)]
            return {"ServerCertificates": {"ServerCertificate": found}}

    def upload_server_certificate(self, caller, params: dict) -> dict:
        (region,) = require(params, "RegionId")
        name = params.get("ServerCertificateName") or None
        if name is not None and not SERVER_CERTIFICATE_NAME.match(name):
            raise invalid_parameter("ServerCertificateName", "It must be 1 to 80 characters and start with a letter.")
        with self.state.lock:
            if params.get("AliCloudCertificateId", "") != "":
                certificate = self._upload_wrapper(caller, region, params, name)
            else:
                certificate_pem, key_pem = require(params, "ServerCertificate", "PrivateKey")
                certificate = self._upload_pem(caller.account_id, region, certificate_pem, key_pem, name)
            return certificate.answer()

    def _upload_wrapper(self, caller, region: str, params: dict, name: str | None) -> ServerCertificate:
        require(params, "AliCloudCertificateName")
        cas_region = self.certificates.cert_region(self.state)
        if cas_region == self.certificates.SITE_REGIONS["international"] and self.settings["international_wrap_refused"]:
            raise international_wrap_refused()
        if params.get("AliCloudCertificateRegionId", cas_region) != cas_region:
            raise invalid_parameter("AliCloudCertificateRegionId", f"The certificate is held in {cas_region}.")
        cas_certificate = self.certificates.find_certificate(
            self.state, caller.account_id, params["AliCloudCertificateId"])
        if cas_certificate is None:
            raise invalid_parameter("AliCloudCertificateId", "The certificate does not exist in your account.")
        return self._wrap(caller.account_id, region, cas_certificate, name)

    # --- control API --------------------------------------------------------------------------
    def control(self, method: str, path: str, body: dict) -> dict:
        from .control import ControlError  # here: control imports the product registry

        routes = {("POST", "load_balancers"): self._seed_load_balancer,
                  ("POST", "server_certificates"): self._seed_server_certificate,
                  ("POST", "settings"): self._update_settings}
        handler = routes.get((method, path.strip("/")))
        if handler is None:
            raise ControlError(404, f"no clb control endpoint {method} {path}")
        with self.state.lock:
            return handler(body, ControlError)

    def _account(self, body: dict, error) -> str:
        account_id = str(body.get("account_id") or DEMO_ACCOUNT)
        if account_id not in self.state.accounts:
            raise error(400, f"unknown account {account_id}")
        return account_id

    def _wrapper_for(self, account_id: str, region: str, certificate_id, error) -> ServerCertificate:
        """The region's wrapper of this CAS certificate, made once: seeds share it like real use would."""
        cas_certificate = self.certificates.find_certificate(self.state, account_id, certificate_id)
        if cas_certificate is None:
            raise error(400, f"certificate_id {certificate_id} is not a certificate of account {account_id}")
        existing = next((c for c in self.server_certificates.values()
                         if c.account_id == account_id and c.region == region
                         and c.alicloud_certificate_id == cas_certificate.certificate_id), None)
        return existing or self._wrap(account_id, region, cas_certificate, None)

    def _seed_load_balancer(self, body: dict, error) -> dict:
        unknown = set(body) - {"region", "load_balancer_id", "listeners", "account_id"}
        if unknown:
            raise error(400, f"unknown field(s): {', '.join(sorted(unknown))}")
        if not body.get("region"):
            raise error(400, "missing field(s): region")
        account_id, region = self._account(body, error), str(body["region"])
        load_balancer_id = str(body.get("load_balancer_id") or "lb-" + "".join(secrets.choice(_ALNUM) for _position in range(20)))
        if load_balancer_id in self.load_balancers:
            raise error(400, f"load balancer {load_balancer_id} exists")
        balancer = LoadBalancer(load_balancer_id, account_id, region, {})
        created = {"load_balancer_id": load_balancer_id, "listeners": []}
        for index, spec in enumerate(body.get("listeners") or []):
            unknown = set(spec) - {"port", "protocol", "certificate_id", "domain_extensions", "settings"}
            if unknown or "port" not in spec:
                raise error(400, f"listeners[{index}] needs port and takes only protocol, certificate_id,"
                                 f" domain_extensions, settings; got {sorted(spec)}")
            port, protocol = int(spec["port"]), str(spec.get("protocol", "https")).lower()
            if port in balancer.listeners:
                raise error(400, f"listeners[{index}]: port {port} twice")
            server_certificate_id = None
            if spec.get("certificate_id") is not None:
                server_certificate_id = self._wrapper_for(account_id, region, spec["certificate_id"],
                                                          error).server_certificate_id
            listener = Listener(port, protocol, server_certificate_id,
                                {**LISTENER_DEFAULTS, **(spec.get("settings") or {})})
            for extension in spec.get("domain_extensions") or []:
                wrapper = self._wrapper_for(account_id, region, extension["certificate_id"], error)
                listener.domain_extensions.append(DomainExtension(
                    "de-" + "".join(secrets.choice(_ALNUM) for _position in range(17)), str(extension["domain"]).lower(),
                    wrapper.server_certificate_id))
            balancer.listeners[port] = listener
            created["listeners"].append({
                "port": port, "server_certificate_id": server_certificate_id,
                "domain_extensions": [{"domain": e.domain, "domain_extension_id": e.domain_extension_id,
                                       "server_certificate_id": e.server_certificate_id}
                                      for e in listener.domain_extensions]})
        self.load_balancers[load_balancer_id] = balancer
        return created

    def _seed_server_certificate(self, body: dict, error) -> dict:
        """A server certificate made outside the run: a wrapper (``certificate_id``) or a PEM upload."""
        if not body.get("region"):
            raise error(400, "missing field(s): region")
        account_id, region = self._account(body, error), str(body["region"])
        if body.get("certificate_id") is not None:
            cas_certificate = self.certificates.find_certificate(self.state, account_id, body["certificate_id"])
            if cas_certificate is None:
                raise error(400, f"certificate_id {body['certificate_id']} is not a certificate of {account_id}")
            certificate = self._wrap(account_id, region, cas_certificate, body.get("name"))
        else:
            if not body.get("certificate_pem") or not body.get("private_key_pem"):
                raise error(400, "give certificate_id, or certificate_pem and private_key_pem")
            certificate = self._upload_pem(account_id, region, body["certificate_pem"], body["private_key_pem"],
                                           body.get("name"))
        return {"server_certificate_id": certificate.server_certificate_id}

    def _update_settings(self, body: dict, error) -> dict:
        unknown = set(body) - set(SETTINGS)
        if unknown:
            raise error(400, f"unknown clb setting(s): {', '.join(sorted(unknown))}")
        for name, value in body.items():
            if not isinstance(value, bool):
                raise error(400, f"{name} must be true or false")
            self.settings[name] = value
        return dict(self.settings)

    def view(self) -> dict:
        return {
            "settings": dict(self.settings),
            "load_balancers": [{
                "load_balancer_id": b.load_balancer_id, "account_id": b.account_id, "region": b.region,
                "listeners": [{"port": listener.port, "protocol": listener.protocol,
                               "server_certificate_id": listener.server_certificate_id,
                               "settings": dict(listener.settings),
                               "domain_extensions": [e.answer() for e in listener.domain_extensions]}
                              for listener in b.listeners.values()]} for b in self.load_balancers.values()],
            # Never the private keys: the view is for inspection.
            "server_certificates": [{**c.answer(), "account_id": c.account_id} for c in self.server_certificates.values()],
        }

    # --- edge -----------------------------------------------------------------------------------
    def edge_material(self, server_name: str):
        """The listener default at ``<load_balancer_id>-<port>.clb.edge.test``, or the certificate
        of an SNI domain extension whose domain is ``server_name``."""
        server_name = server_name.lower().rstrip(".")
        with self.state.lock:
            if server_name.endswith(EDGE_SUFFIX):
                load_balancer_id, _dash, port = server_name[:-len(EDGE_SUFFIX)].rpartition("-")
                balancer = self.load_balancers.get(load_balancer_id)
                listener = balancer.listeners.get(int(port)) if balancer and port.isdigit() else None
                if listener is None or listener.protocol != "https" or not listener.server_certificate_id:
                    return None
                return self._material(listener.server_certificate_id)
            for balancer in self.load_balancers.values():
                for listener in balancer.listeners.values():
                    for extension in listener.domain_extensions:
                        if extension.domain == server_name:
                            return self._material(extension.server_certificate_id)
            return None

    def _material(self, server_certificate_id: str):
        certificate = self.server_certificates.get(server_certificate_id)
        if certificate is None:
            return None
        if certificate.alicloud_certificate_id is None:
            return certificate.certificate_pem, certificate.private_key_pem
        cas_certificate = self.certificates.find_certificate(
            self.state, certificate.account_id, certificate.alicloud_certificate_id)
        if cas_certificate is None or cas_certificate.private_key_pem is None:
            return None
        return cas_certificate.certificate_pem, cas_certificate.private_key_pem


PRODUCT_CLASSES.append(ClbService)
