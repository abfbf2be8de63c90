"""Control API under ``/__emulator__/``: seeding, inspection and fault injection (JSON, unsigned)."""

import dataclasses
import datetime
import json
import re
import time

from .ca import generate_rsa_key
from .cas import DEFAULT_PRODUCT_CODE, ORDER_TYPES
from .certificates import SITE_REGIONS
from .errors import ApiError
from .state import AccessKey, Order, Quota, Settings, now_ms, validity_days_value

PREFIX = "/__emulator__/"
_ORDER_PATH = re.compile(r"^orders/(\d+)/(expire|state)$")
_INSTANCE_STATE_PATH = re.compile(r"^instances/([^/]+)/state$")
_PRODUCT_PATH = re.compile(r"^products/([a-z]+)(?:/(.*))?$")


class ControlError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _need(body: dict, *names: str) -> list:
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise ControlError(400, f"missing field(s): {', '.join(missing)}")
    return [body[n] for n in names]


def _expiration(value) -> float | None:
    """STS ``expired``: true (already expired), false/absent (never), epoch seconds or ISO 8601."""
    if value is None or value is False:
        return None
    if value is True:
        return time.time() - 1
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ControlError(400, "expired must be a boolean, epoch seconds or an ISO 8601 time") from None


def _check_instance_settings(body: dict) -> None:
    if body.get("instance_time_unit", "ms") not in ("ms", "s"):
        raise ControlError(400, "instance_time_unit must be 'ms' or 's'")
    if body.get("instance_cancel_status", "normal") not in ("normal", "inactive"):
        raise ControlError(400, "instance_cancel_status must be 'normal' or 'inactive'")
    if min(float(body.get(name, 0)) for name in ("instance_validation_delay", "instance_cancel_delay")) < 0:
        raise ControlError(400, "instance_validation_delay and instance_cancel_delay must be >= 0")
    if int(body.get("contact_limit", 0)) < 0:
        raise ControlError(400, "contact_limit must be >= 0")


def _check_alidns_settings(body: dict) -> None:
    if float(body.get("dns_visibility_delay", 0)) < 0:
        raise ControlError(400, "dns_visibility_delay must be >= 0")
    if not 1 <= int(body.get("ttl_floor", 600)) <= 86400:
        raise ControlError(400, "ttl_floor must be from 1 to 86400")
    if body.get("show_size_cap") is not None and int(body["show_size_cap"]) < 1:
        raise ControlError(400, "show_size_cap must be null or >= 1")
    if body.get("record_info_gone_code", "InvalidRR.NoExist") not in ("InvalidRR.NoExist", "DomainRecordNotBelongToUser"):
        raise ControlError(400, "record_info_gone_code must be 'InvalidRR.NoExist' or 'DomainRecordNotBelongToUser'")


def _check_order_settings(body: dict) -> None:
    if body.get("fresh_order_list_status", "CHECKING") not in ("CHECKING", "PAYED"):
        raise ControlError(400, "fresh_order_list_status must be 'CHECKING' or 'PAYED'")
    if body.get("cancel_mode", "sync") not in ("sync", "async"):
        raise ControlError(400, "cancel_mode must be 'sync' or 'async'")
    if int(body.get("list_lag", 0)) < 0:
        raise ControlError(400, "list_lag must be >= 0")
    if body.get("quota_refusal", "documented") not in ("documented", "generic"):
        raise ControlError(400, "quota_refusal must be 'documented' or 'generic'")
    if body.get("cas_site", "china") not in SITE_REGIONS:
        raise ControlError(400, f"cas_site must be one of {', '.join(repr(site) for site in SITE_REGIONS)}")


class ControlApi:
    def __init__(self, core) -> None:
        self.core = core
        self.state = core.state
        self._routes = {
            ("GET", "state"): self.get_state, ("GET", "calls"): self.get_calls, ("GET", "ca"): self.get_ca,
            ("POST", "reset"): self.reset, ("POST", "accounts"): self.add_account, ("POST", "sts"): self.add_sts,
            ("POST", "zones"): self.add_zone, ("POST", "records"): self.add_record,
            ("POST", "quota"): self.set_quota, ("POST", "files"): self.add_file,
            ("POST", "webroots"): self.add_webroot, ("POST", "settings"): self.update_settings,
            ("POST", "faults"): self.set_faults, ("POST", "faults/clear"): self.clear_faults,
            ("POST", "calls/clear"): self.clear_calls, ("POST", "instances"): self.add_instance,
            ("POST", "orders/bulk"): self.add_orders, ("POST", "deny"): self.deny,
            ("GET", "edge"): self.get_edge,
        }

    def handle(self, method: str, path: str, raw_body: bytes) -> tuple[int, dict]:
        route = path[len(PREFIX):].strip("/")
        try:
            body = json.loads(raw_body) if raw_body.strip() else {}
            if not isinstance(body, dict):
                raise ControlError(400, "the request body must be a JSON object")
            product_match = _PRODUCT_PATH.match(route)
            if product_match:
                return 200, self.product_control(method, product_match.group(1), product_match.group(2) or "", body)
            instance_match = _INSTANCE_STATE_PATH.match(route)
            if instance_match and method == "POST":
                return 200, self.set_instance_state(instance_match.group(1), body)
            match = _ORDER_PATH.match(route)
            if match and method == "POST":
                order_id, verb = int(match.group(1)), match.group(2)
                handler = self.expire_order if verb == "expire" else self.set_order_state
                return 200, handler(order_id, body)
            handler = self._routes.get((method, route))
            if handler is None:
                raise ControlError(404, f"no control endpoint {method} {PREFIX}{route}")
            return 200, handler(body)
        except ControlError as error:
            return error.status, {"error": str(error)}
        except ApiError as error:
            return 400, {"error": error.message, "code": error.code}
        except (ValueError, TypeError, KeyError) as error:
            return 400, {"error": f"invalid request: {error}"}

    # --- inspection ---------------------------------------------------------------------------
    def get_state(self, _body: dict) -> dict:
        with self.state.lock:
            state = self.state
            return {
                "accounts": sorted(state.accounts),
                "access_keys": [k.public() for k in state.keys.values()],
                "orders": [self._order_view(o) for o in state.orders.values()],
                "zones": {acc: {name: [r.public() for r in zone.records.values()] for name, zone in zones.items()}
                          for acc, zones in state.zones.items()},
                "quotas": [{"account_id": acc, "product_code": code, "total": q.total, "used": q.used,
                            "issued": q.issued} for (acc, code), q in state.quotas.items()],
                "files": [{"domain": d, "uri": u, "content": c} for (d, u), c in state.files.items()],
                "webroots": state.webroots,
                "instances": [self.core.instances.control_view(i) for i in state.instances.values()],
                "contacts": [dataclasses.asdict(c) for c in state.contacts.values()],
                "settings": dataclasses.asdict(state.settings),
                "faults": self.core.faults.describe(),
            }

    def product_control(self, method: str, name: str, path: str, body: dict) -> dict:
        product = self.core.products.get(name)
        if product is None:
            raise ControlError(404, f"no product {name!r}; the emulator serves {', '.join(sorted(self.core.products))}")
        if method == "GET" and not path:
            with self.state.lock:
                return {**product.view(), "guards": self.core.gateway.guards.describe(product)}
        if method == "POST" and path == "settings" and "qps" in body:
            # Generic for every product (faults.ProductGuards); the rest is the product's own.
            body = dict(body)
            qps = body.pop("qps")
            if qps is not None and (isinstance(qps, bool) or not isinstance(qps, (int, float))):
                raise ControlError(400, "qps must be a number >= 0 (0: no limit) or null (the documented limits)")
            with self.state.lock:
                self.core.gateway.guards.set_qps(name, qps)
            if not body:
                with self.state.lock:
                    return {"ok": True, "guards": self.core.gateway.guards.describe(product)}
        return product.control(method, path, body)

    def deny(self, body: dict) -> dict:
        """RAM refusals for an action and/or a product until the next reset."""
        with self.state.lock:
            return {"ok": True, "rule": self.core.gateway.guards.deny(body)}

    def get_edge(self, _body: dict) -> dict:
        return {"host": self.core.edge.host, "port": self.core.edge_port}

    def _order_view(self, order) -> dict:
        return {
            "order_id": order.order_id, "account_id": order.account_id, "type": order.type,
            "status": self.core.cas.list_status(order), "domain": order.domain,
            "product_code": order.product_code, "validate_type": order.validate_type,
            "record_domain": self.core.cas.record_domain(order), "record_value": order.record_value,
            "email": order.email, "phone": order.phone, "username": order.username, "tags": order.tags,
            "instance_id": order.instance_id, "buy_date": order.buy_ms, "cert_id": order.cert_id,
            "cert_start_time": order.cert_start_ms, "cert_end_time": order.cert_end_ms,
            "certificate": order.certificate, "private_key": order.private_key_pem,
            "csr_supplied": order.private_key is None,
        }

    def get_calls(self, _body: dict) -> dict:
        with self.state.lock:
            return {"calls": list(self.state.calls)}

    def get_ca(self, _body: dict) -> dict:
        return {"issuer_ca_pem": self.core.ca.root_pem, "intermediate_pem": self.core.ca.intermediate_pem}

    # --- seeding ------------------------------------------------------------------------------
    def reset(self, body: dict) -> dict:
        self.core.reset(body.get("seed"))
        return {"ok": True}

    def add_account(self, body: dict) -> dict:
        account_id, key_id, secret = _need(body, "account_id", "access_key_id", "access_key_secret")
        with self.state.lock:
            self.state.add_key(AccessKey(str(key_id), str(secret), str(account_id)))
        return {"ok": True}

    def add_sts(self, body: dict) -> dict:
        account_id, key_id, secret, token = _need(
            body, "account_id", "access_key_id", "access_key_secret", "security_token")
        key = AccessKey(str(key_id), str(secret), str(account_id), security_token=str(token),
                        expiration=_expiration(body.get("expired")))
        with self.state.lock:
            self.state.add_key(key)
        return {"ok": True}

    def add_zone(self, body: dict) -> dict:
        account_id, zone = _need(body, "account_id", "zone")
        created = self.core.alidns.add_zone(str(account_id), str(zone))
        return {"ok": True, "zone": created.name, "domain_id": created.domain_id}

    def add_record(self, body: dict) -> dict:
        account_id, zone, rr, type_, value = _need(body, "account_id", "zone", "rr", "type", "value")
        params = {"RR": rr, "Type": type_, "Value": value, "TTL": str(body.get("ttl", 600)),
                  "Line": body.get("line", "default")}
        if body.get("priority") is not None:
            params["Priority"] = str(body["priority"])
        record = self.core.alidns.add_record(str(account_id), str(zone), params)
        return {"ok": True, "record_id": record.record_id}

    def set_quota(self, body: dict) -> dict:
        account_id, product_code = (str(v) for v in _need(body, "account_id", "product_code"))
        with self.state.lock:
            self.state.add_account(account_id)
            old = self.state.quotas.get((account_id, product_code))
            self.state.quotas[(account_id, product_code)] = Quota(
                total=int(body.get("total", 0)), used=int(body.get("used", 0)),
                issued=old.issued if old else 0)
        return {"ok": True}

    def add_file(self, body: dict) -> dict:
        domain, uri, content = _need(body, "domain", "uri", "content")
        with self.state.lock:
            self.state.files[(str(domain).lower(), str(uri))] = str(content)
        return {"ok": True}

    def add_webroot(self, body: dict) -> dict:
        domain, path = _need(body, "domain", "path")
        with self.state.lock:
            roots = self.state.webroots.setdefault(str(domain).lower(), [])
            if path not in roots:
                roots.append(str(path))
        return {"ok": True}

    def update_settings(self, body: dict) -> dict:
        unknown = set(body) - {f.name for f in dataclasses.fields(Settings)}
        if unknown:
            raise ControlError(400, f"unknown setting(s): {', '.join(sorted(unknown))}")
        if body.get("record_domain_style", "zone") not in ("zone", "domain"):
            raise ControlError(400, "record_domain_style must be 'zone' or 'domain'")
        if float(body.get("issue_delay", 0)) < 0:
            raise ControlError(400, "issue_delay must be >= 0")
        if "validity_days" in body:
            try:
                validity_days_value(body["validity_days"])
            except ValueError as error:
                raise ControlError(400, str(error)) from None
        _check_instance_settings(body)
        _check_order_settings(body)
        _check_alidns_settings(body)
        with self.state.lock:
            settings = self.state.settings
            for name, value in body.items():
                if name == "verify_fail_domains":
                    value = [str(d).lower() for d in value]
                elif name == "issue_delay":
                    value = float(value)
                elif name == "validity_days":
                    value = validity_days_value(value)
                elif name in ("auto_dns_validation", "client_token_honoured"):
                    value = bool(value)
                elif name in ("instance_validation_delay", "instance_cancel_delay"):
                    value = float(value)
                elif name in ("contact_limit", "list_lag", "ttl_floor"):
                    value = int(value)
                elif name == "dns_visibility_delay":
                    value = float(value)
                elif name == "show_size_cap":
                    value = None if value is None else int(value)
                setattr(settings, name, value)
            return {"ok": True, "settings": dataclasses.asdict(settings)}

    # --- faults and calls ---------------------------------------------------------------------
    def set_faults(self, body: dict) -> dict:
        with self.state.lock:
            self.core.faults.configure(body)
            return {"ok": True, "faults": self.core.faults.describe()}

    def clear_faults(self, _body: dict) -> dict:
        with self.state.lock:
            self.core.faults.clear()
        return {"ok": True}

    def clear_calls(self, _body: dict) -> dict:
        with self.state.lock:
            self.state.calls.clear()
        return {"ok": True}

    # --- V2.0 instances -----------------------------------------------------------------------
    def add_instance(self, body: dict) -> dict:
        (account_id,) = _need(body, "account_id")
        fields = ("instance_type", "spec", "start", "end", "status", "update_protection",
                  "full_domain_count", "wildcard_domain_count", "instance_id")
        unknown = set(body) - set(fields) - {"account_id"}
        if unknown:
            raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
        instance = self.core.instances.add_instance(str(account_id), **{k: body[k] for k in fields if k in body})
        with self.state.lock:
            return {"ok": True, "instance": self.core.instances.control_view(instance)}

    def set_instance_state(self, instance_id: str, body: dict) -> dict:
        unknown = set(body) - {"status", "revoked", "end"}
        if unknown:
            raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
        with self.state.lock:
            instance = self.state.instances.get(instance_id)
            if instance is None:
                raise ControlError(404, f"instance {instance_id} not found")
            self.core.instances.advance(instance)
            self.core.instances.force_state(instance, **body)
            return {"ok": True, "instance": self.core.instances.control_view(instance)}

    # --- orders -------------------------------------------------------------------------------
    def add_orders(self, body: dict) -> dict:
        """History for an account: ``count`` orders of one ``type``, no quota spent.

        Issued ones share one key, because a thousand RSA keys would take minutes to make.
        """
        account_id, count = _need(body, "account_id", "count")
        count, type_ = int(count), body.get("type", "certificate")
        domain_format = str(body.get("domain_format", "seeded{index}.example.org"))
        if not 1 <= count <= 10000:
            raise ControlError(400, "count must be from 1 to 10000")
        if type_ not in ORDER_TYPES:
            raise ControlError(400, f"type must be one of {', '.join(ORDER_TYPES)}")
        if "{index}" not in domain_format:
            raise ControlError(400, "domain_format must contain {index}")
        key = generate_rsa_key()
        with self.state.lock:
            self.state.add_account(str(account_id))
            created = []
            for index in range(count):
                order = Order(
                    order_id=next(self.state.order_ids), account_id=str(account_id),
                    domain=domain_format.format(index=index).lower(), product_code=DEFAULT_PRODUCT_CODE,
                    validate_type="DNS", email="seeded@example.org", phone="13800000000", username="Seeded",
                    tags=[], instance_id=f"cas-ivseed-{index:06d}", aliyun_order_id=next(self.state.aliyun_order_ids),
                    buy_ms=now_ms(), record_value=f"seeded-{index}", private_key=key, public_key=key.public_key())
                self.state.orders[order.order_id] = order
                if type_ == "certificate":
                    self.core.cas.issue(order)
                else:
                    order.type = type_
                created.append(order.order_id)
            return {"ok": True, "count": len(created), "order_ids": created}

    def _order(self, order_id: int):
        order = self.state.orders.get(order_id)
        if order is None:
            raise ControlError(404, f"order {order_id} not found")
        return order

    def expire_order(self, order_id: int, body: dict) -> dict:
        (days_left,) = _need(body, "days_left")
        with self.state.lock:
            order = self._order(order_id)
            if order.certificate is None:
                raise ControlError(409, f"order {order_id} has no issued certificate")
            not_after = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
                datetime.timedelta(days=float(days_left))
            self.core.cas.issue(order, not_after=not_after)
            return self._order_view(order)

    def set_order_state(self, order_id: int, body: dict) -> dict:
        (type_,) = _need(body, "type")
        if type_ not in ORDER_TYPES:
            raise ControlError(400, f"type must be one of {', '.join(ORDER_TYPES)}")
        with self.state.lock:
            order = self._order(order_id)
            if type_ == "certificate":
                if order.type != "certificate":
                    self.core.cas.issue(order)
            else:
                order.type = type_
                order.process_since = time.time() if type_ == "process" else None
            return self._order_view(order)
