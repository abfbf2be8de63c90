"""``EmulatorControl``: a thin ``requests`` wrapper over the control API."""

import requests


class ControlRequestError(RuntimeError):
    """The control API refused a request (HTTP status and its ``error`` text)."""


class EmulatorControl:
    def __init__(self, control_url: str, verify: bool | str = True) -> None:
        self.control_url = control_url.rstrip("/")
        # Passed on every request: a session-level verify loses to REQUESTS_CA_BUNDLE.
        self._verify = verify
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, path: str, payload: dict | None = None) -> dict:
        response = self._session.request(method, f"{self.control_url}/{path}", json=payload, timeout=30,
                                         verify=self._verify)
        data = response.json()
        if response.status_code != 200:
            raise ControlRequestError(f"{method} {path}: HTTP {response.status_code}: {data.get('error')}")
        return data

    def _post(self, endpoint: str, **payload) -> dict:
        return self._call("POST", endpoint, {k: v for k, v in payload.items() if v is not None})

    # --- seeding --------------------------------------------------------------------------
    def reset(self, seed: str | None = None) -> dict:
        return self._post("reset", seed=seed)

    def add_account(self, account_id: str, access_key_id: str, access_key_secret: str) -> dict:
        return self._post("accounts", account_id=account_id, access_key_id=access_key_id,
                          access_key_secret=access_key_secret)

    def add_sts(self, account_id: str, access_key_id: str, access_key_secret: str, security_token: str,
                expired=None) -> dict:
        return self._post("sts", account_id=account_id, access_key_id=access_key_id,
                          access_key_secret=access_key_secret, security_token=security_token, expired=expired)

    def add_zone(self, account_id: str, zone: str) -> dict:
        return self._post("zones", account_id=account_id, zone=zone)

    def add_record(self, account_id: str, zone: str, rr: str, type: str, value: str,  # noqa: A002
                   ttl: int = 600, priority: int | None = None) -> dict:
        return self._post("records", account_id=account_id, zone=zone, rr=rr, type=type, value=value,
                          ttl=ttl, priority=priority)

    def set_quota(self, account_id: str, product_code: str, total: int, used: int = 0) -> dict:
        return self._post("quota", account_id=account_id, product_code=product_code, total=total, used=used)

    def publish_file(self, domain: str, uri: str, content: str) -> dict:
        return self._post("files", domain=domain, uri=uri, content=content)

    def add_webroot(self, domain: str, path: str) -> dict:
        return self._post("webroots", domain=domain, path=path)

    def settings(self, **settings) -> dict:
        return self._call("POST", "settings", settings)

    # --- faults, inspection -----------------------------------------------------------------
    def set_faults(self, **faults) -> dict:
        return self._call("POST", "faults", faults)

    def clear_faults(self) -> dict:
        return self._post("faults/clear")

    def state(self) -> dict:
        return self._call("GET", "state")

    def calls(self) -> list[dict]:
        return self._call("GET", "calls")["calls"]

    def clear_calls(self) -> dict:
        return self._post("calls/clear")

    def issuer_ca_pem(self) -> str:
        return self._call("GET", "ca")["issuer_ca_pem"]

    def expire_order(self, order_id: int, days_left: float) -> dict:
        return self._post(f"orders/{order_id}/expire", days_left=days_left)

    def set_order_state(self, order_id: int, type: str) -> dict:  # noqa: A002
        return self._post(f"orders/{order_id}/state", type=type)

    def add_instance(self, account_id: str, instance_type: str = "TEST", spec: str = "single", **fields) -> dict:
        """Seed a V2.0 instance; ``fields``: start, end, status, update_protection, instance_id, counts."""
        return self._post("instances", account_id=account_id, instance_type=instance_type, spec=spec,
                          **fields)["instance"]

    def set_instance_state(self, instance_id: str, **fields) -> dict:
        """Force ``status`` (inactive, normal, refund, closed), ``revoked`` or a new ``end``."""
        return self._post(f"instances/{instance_id}/state", **fields)["instance"]
