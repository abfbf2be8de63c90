"""What ALB (2020-06-16) and NLB (2022-04-30) share: listeners that hold CAS certificates by
identifier (``<CertId>-<region>``), a default one and additional (SNI) ones, and that go
``Configuring`` for a while after every write.

Each product is a subclass of ListenerService that states its differences as data (action and
parameter names, protocols, error codes, page bound); alb.py and nlb.py hold them.

Time is real (``time.monotonic``): a listener written at t stays ``Configuring`` until
t + ``configuring_seconds``, and the state settles lazily whenever it is looked at.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import time
import uuid

from .errors import ApiError, int_param, invalid_parameter, require

_IDENTIFIER = re.compile(r"^(\d+)-([a-z0-9-]+)$")
_DEMO_ACCOUNT = "1234567890123456"


@dataclasses.dataclass
class ListenerSettings:
    # UNCONFIRMED (how long a listener stays Configuring after a write).
    configuring_seconds: float = 0.5
    # Which listeners a write puts into Configuring: only the written one ("listener", what
    # the error IncorrectStatus.Listener names), or every listener of its load balancer
    # ("load_balancer"). UNCONFIRMED.
    configuring_scope: str = "listener"
    # ALB only. UNCONFIRMED: true, a QUIC listener paired with an HTTPS listener (QuicConfig)
    # keeps certificates of its own (default and additional) that are updated separately; false,
    # it serves the HTTPS listener's certificates (and a write to either changes both).
    quic_keeps_own_certificate: bool = True


@dataclasses.dataclass
class Listener:
    listener_id: str
    account_id: str
    region: str
    load_balancer_id: str
    protocol: str
    port: int
    default: str | None  # CAS identifier of the default certificate
    additional: dict = dataclasses.field(default_factory=dict)  # identifier -> status
    service_managed: bool = False
    quic_listener_id: str | None = None  # ALB HTTPS: its paired QUIC listener
    paired_https_id: str | None = None  # ALB QUIC: the HTTPS listener it is paired with
    configuring_until: float = 0.0

    @property
    def configuring(self) -> bool:
        return time.monotonic() < self.configuring_until


class ListenerService:
    """One product's listeners. Subclasses set the names below."""

    name = ""
    version = ""
    host_id = ""
    product = ""
    certificate_protocols: tuple = ()
    protocols: tuple = ()
    default_protocol_port: dict = {}
    max_page: int = 50
    not_found_listener = "ResourceNotFound.Listener"
    not_found_certificate = "ResourceNotFound.Certificate"
    incorrect_status = "IncorrectStatus.Listener"
    service_managed_code = "OperationDenied.ServiceManagedResource"
    # Status of an additional certificate being removed, as the SDK model documents it.
    dissociating = "Diassociating"

    def __init__(self, state, certificates) -> None:
        self.state = state
        self.certificates = certificates
        self.clear()

    # --- lifecycle -------------------------------------------------------------------------
    def clear(self) -> None:
        self.settings = ListenerSettings()
        self.listeners: dict[str, Listener] = {}
        self.client_tokens: dict = {}  # (account, action, token) -> first answer

    # --- helpers ---------------------------------------------------------------------------
    def _settle(self, listener: Listener) -> None:
        """Finish what the last write started once the Configuring window is over."""
        if listener.configuring:
            return
        for identifier, status in list(listener.additional.items()):
            if status == "Associating":
                listener.additional[identifier] = "Associated"
            elif status == self.dissociating:
                del listener.additional[identifier]

    def _status(self, listener: Listener) -> str:
        self._settle(listener)
        return "Configuring" if listener.configuring else "Running"

    def _listener(self, caller, params: dict) -> Listener:
        (listener_id,) = require(params, "ListenerId")
        listener = self.listeners.get(listener_id)
        region = params.get("RegionId")
        if listener is None or listener.account_id != caller.account_id or (region and region != listener.region):
            raise ApiError(404, self.not_found_listener, f"The specified resource {listener_id} is not found.")
        self._settle(listener)
        return listener

    def _certificate_holder(self, listener: Listener) -> Listener:
        """The listener whose default certificate this one serves (a following QUIC listener
        serves its HTTPS listener's)."""
        if listener.paired_https_id and not self.settings.quic_keeps_own_certificate:
            return self.listeners.get(listener.paired_https_id, listener)
        return listener

    def _check_identifier(self, caller, name: str, value: str) -> str:
        match = _IDENTIFIER.match(value)
        found = None
        if match and match.group(2) == self.certificates.cert_region(self.state):
            found = self.certificates.find_certificate(self.state, caller.account_id, match.group(1))
        if found is None:
            raise ApiError(404, self.not_found_certificate, f"The specified resource {value} is not found.")
        return value

    def _before_write(self, caller, params: dict, action: str):
        """(listener, earlier answer or None): the checks every write makes, in order."""
        listener = self._listener(caller, params)
        token = params.get("ClientToken", "")
        if token:
            earlier = self.client_tokens.get((caller.account_id, action, token))
            if earlier is not None:
                return listener, dict(earlier)
        if listener.service_managed:
            raise ApiError(400, self.service_managed_code,
                           f"The operation is not allowed because the resource {listener.listener_id} "
                           "is managed by a service (ACK).")
        if listener.protocol not in self.certificate_protocols:
            raise ApiError(400, "OperationDenied.ListenerProtocolNotSupport",
                           f"The operation is not supported for a {listener.protocol} listener.")
        if listener.configuring:
            raise ApiError(400, self.incorrect_status,
                           f"The status of listener [{listener.listener_id}] is incorrect.")
        return listener, None

    def _dry_run(self, params: dict) -> None:
        if params.get("DryRun", "").lower() == "true":
            raise ApiError(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")

    def _after_write(self, caller, params: dict, action: str, listener: Listener) -> dict:
        until = time.monotonic() + self.settings.configuring_seconds
        touched = [listener]
        if self.settings.configuring_scope == "load_balancer":
            touched = [other for other in self.listeners.values()
                       if other.load_balancer_id == listener.load_balancer_id]
        for other in touched:
            other.configuring_until = max(other.configuring_until, until)
        answer = {"JobId": str(uuid.uuid4())}
        token = params.get("ClientToken", "")
        if token:
            self.client_tokens[(caller.account_id, action, token)] = dict(answer)
        return answer

    @staticmethod
    def _indexed(params: dict, prefix: str, suffix: str = "") -> list[str]:
        """``<prefix>.N[.suffix]`` values in order, until the first gap."""
        values = []
        index = 1
        while f"{prefix}.{index}{suffix}" in params:
            values.append(params[f"{prefix}.{index}{suffix}"])
            index += 1
        return values

    # --- shared actions --------------------------------------------------------------------
    def _set_default(self, caller, params: dict, action: str, certificate_ids: list[str]) -> dict:
        with self.state.lock:
            listener, earlier = self._before_write(caller, params, action)
            if earlier is not None:
                return earlier
            if len(certificate_ids) > 1:
                raise invalid_parameter(self.default_parameter, "Only one server certificate is supported.")
            for index, value in enumerate(certificate_ids, 1):
                self._check_identifier(caller, f"{self.default_parameter}.{index}", value)
            self._dry_run(params)
            if certificate_ids:
                self._certificate_holder(listener).default = certificate_ids[0]
            return self._after_write(caller, params, action, listener)

    def _associate(self, caller, params: dict, action: str, certificate_ids: list[str]) -> dict:
        with self.state.lock:
            listener, earlier = self._before_write(caller, params, action)
            if earlier is not None:
                return earlier
            if not certificate_ids:
                raise invalid_parameter(self.additional_parameter, "At least one certificate is required.")
            for value in certificate_ids:
                self._check_identifier(caller, self.additional_parameter, value)
            self._dry_run(params)
            # A QUIC listener that follows its HTTPS listener shares its additional certificates too.
            additional = self._certificate_holder(listener).additional
            for value in certificate_ids:
                if additional.get(value) != "Associated":
                    additional[value] = "Associating"
            return self._after_write(caller, params, action, listener)

    def _dissociate(self, caller, params: dict, action: str, certificate_ids: list[str]) -> dict:
        with self.state.lock:
            listener, earlier = self._before_write(caller, params, action)
            if earlier is not None:
                return earlier
            if not certificate_ids:
                raise invalid_parameter(self.additional_parameter, "At least one certificate is required.")
            self._dry_run(params)
            additional = self._certificate_holder(listener).additional
            for value in certificate_ids:
                if value in additional:
                    additional[value] = self.dissociating
            return self._after_write(caller, params, action, listener)

    def _certificate_entries(self, listener: Listener) -> list[dict]:
        holder = self._certificate_holder(listener)
        entries = []
        if holder.default:
            entries.append({"CertificateId": holder.default, "IsDefault": True, "CertificateType": "Server",
                            "Status": "Associated"})
        self._settle(holder)
        for identifier, status in holder.additional.items():
            entries.append({"CertificateId": identifier, "IsDefault": False, "CertificateType": "Server",
                            "Status": status})
        return entries

    def _list_certificates(self, caller, params: dict, type_parameter: str) -> dict:
        with self.state.lock:
            listener = self._listener(caller, params)
            max_results = int_param(params, "MaxResults", default=20, minimum=1, maximum=self.max_page)
            kind = params.get(type_parameter, "")
            if kind not in ("", "Server", "Ca"):
                raise invalid_parameter(type_parameter, "Valid values: Ca, Server.")
            entries = [] if kind == "Ca" else self._certificate_entries(listener)
            token = params.get("NextToken", "")
            try:
                start = int(token) if token else 0
            except ValueError:
                raise invalid_parameter("NextToken") from None
            page = entries[start:start + max_results]
            following = start + max_results
            answer = {"Certificates": page, "MaxResults": max_results, "TotalCount": len(entries)}
            if following < len(entries):
                answer["NextToken"] = str(following)
            return answer

    # --- control API -----------------------------------------------------------------------
    def control(self, method: str, path: str, body: dict) -> dict:
        from .control import ControlError

        if method == "POST" and path == "listeners":
            return self.seed_listener(body)
        if method == "POST" and path == "settings":
            return self.update_settings(body)
        raise ControlError(404, f"no control endpoint {method} products/{self.name}/{path}")

    def update_settings(self, body: dict) -> dict:
        from .control import ControlError

        known = {field.name for field in dataclasses.fields(ListenerSettings)}
        unknown = sorted(set(body) - known)
        if unknown:
            raise ControlError(400, f"unknown {self.name} setting(s): {', '.join(unknown)}")
        if "configuring_scope" in body and body["configuring_scope"] not in ("listener", "load_balancer"):
            raise ControlError(400, "configuring_scope must be 'listener' or 'load_balancer'")
        if "configuring_seconds" in body and float(body["configuring_seconds"]) < 0:
            raise ControlError(400, "configuring_seconds must be >= 0")
        with self.state.lock:
            for name, value in body.items():
                if name == "configuring_seconds":
                    value = float(value)
                elif name == "quic_keeps_own_certificate":
                    value = bool(value)
                setattr(self.settings, name, value)
            return {"ok": True, "settings": dataclasses.asdict(self.settings)}

    def _identifier_of(self, value) -> str | None:
        """A seed's certificate: a CAS identifier, or a bare CAS id made into one."""
        if value is None:
            return None
        text = str(value)
        return text if "-" in text else f"{text}-{self.certificates.cert_region(self.state)}"

    def seed_listener(self, body: dict) -> dict:
        from .control import ControlError

        if not body.get("region"):
            raise ControlError(400, "missing field(s): region")
        protocol = body.get("protocol", self.certificate_protocols[0])
        if protocol not in self.protocols:
            raise ControlError(400, f"protocol must be one of {', '.join(self.protocols)}")
        quic = body.get("quic")
        if quic is not None and (self.name != "alb" or protocol != "HTTPS"):
            raise ControlError(400, "quic pairs a QUIC listener with an ALB HTTPS listener only")
        with self.state.lock:
            account_id = body.get("account_id") or _DEMO_ACCOUNT
            load_balancer_id = body.get("load_balancer_id") or self._new_load_balancer_id()
            listener = self._add(body.get("listener_id"), account_id, body["region"], load_balancer_id, protocol,
                                 int(body.get("port", self.default_protocol_port.get(protocol, 443))),
                                 self._identifier_of(body.get("certificate_id")),
                                 [self._identifier_of(v) for v in body.get("additional", [])],
                                 bool(body.get("service_managed", False)))
            created = {"listener_id": listener.listener_id, "load_balancer_id": load_balancer_id}
            if quic is not None:
                quic = quic if isinstance(quic, dict) else {}
                paired = self._add(quic.get("listener_id"), account_id, body["region"], load_balancer_id, "QUIC",
                                   int(quic.get("port", listener.port)),
                                   self._identifier_of(quic.get("certificate_id", body.get("certificate_id"))),
                                   [self._identifier_of(v) for v in quic.get("additional", [])],
                                   bool(quic.get("service_managed", False)))
                listener.quic_listener_id = paired.listener_id
                paired.paired_https_id = listener.listener_id
                created["quic_listener_id"] = paired.listener_id
            return created

    def _add(self, listener_id, account_id, region, load_balancer_id, protocol, port, default, additional,
             service_managed) -> Listener:
        from .control import ControlError

        listener_id = listener_id or self._new_listener_id(port)
        if listener_id in self.listeners:
            raise ControlError(400, f"listener {listener_id} exists already")
        listener = Listener(listener_id, account_id, region, load_balancer_id, protocol, port, default,
                            {identifier: "Associated" for identifier in additional}, service_managed)
        self.listeners[listener_id] = listener
        return listener

    def _new_load_balancer_id(self) -> str:
        return f"{self.name}-{secrets.token_hex(10)}"

    def _new_listener_id(self, port: int) -> str:
        return f"lsn-{secrets.token_hex(10)}"

    def view(self) -> dict:
        listeners = []
        for listener in self.listeners.values():
            status = self._status(listener)
            listeners.append({
                "listener_id": listener.listener_id, "account_id": listener.account_id,
                "region": listener.region, "load_balancer_id": listener.load_balancer_id,
                "protocol": listener.protocol, "port": listener.port, "status": status,
                "certificate_id": self._certificate_holder(listener).default,
                "additional": dict(self._certificate_holder(listener).additional), "service_managed": listener.service_managed,
                "quic_listener_id": listener.quic_listener_id, "paired_https_id": listener.paired_https_id,
            })
        return {"listeners": listeners, "settings": dataclasses.asdict(self.settings)}

    # --- edge ------------------------------------------------------------------------------
    def edge_material(self, server_name: str):
        """``<listener_id>.<product>.edge.test`` (``@`` of an NLB id may be written ``-``)."""
        suffix = f".{self.name}.edge.test"
        name = server_name.lower()
        if not name.endswith(suffix):
            return None
        wanted = name[:-len(suffix)]
        with self.state.lock:
            for listener in self.listeners.values():
                if wanted in (listener.listener_id.lower(), listener.listener_id.lower().replace("@", "-")):
                    identifier = self._certificate_holder(listener).default
                    match = _IDENTIFIER.match(identifier or "")
                    if match is None:
                        return None
                    found = self.certificates.find_certificate(self.state, listener.account_id, match.group(1))
                    if found is None or found.private_key_pem is None:
                        return None
                    return found.certificate_pem, found.private_key_pem
        return None
