"""Bounded fault injection for the emulated API (never the control API).

Every injected fault has a budget that decrements, so a misbehaving client cannot be
stuck forever; ``throttle_qps`` is bounded by nature (the bucket refills).
"""

import base64
import dataclasses
import random
import time

from .errors import ApiError

KINDS = ("throttle", "error", "drop", "slow", "lose")
THROTTLE_MESSAGE = "Request was denied due to user flow control."
SERVER_MESSAGES = {
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
    "InternalError": "The request processing has failed due to some unknown error, exception or failure.",
}


@dataclasses.dataclass
class Decision:
    """What to do with one call: wait, then drop / fail / run (and maybe lose the reply)."""

    delay: float = 0.0
    drop: bool = False
    error: ApiError | None = None
    lose_response: bool = False
    kind: str | None = None


@dataclasses.dataclass
class _Budget:
    count: int
    actions: list[str] | None
    options: dict

    def applies(self, action: str) -> bool:
        return self.count > 0 and (not self.actions or action in self.actions)

    def take(self) -> None:
        self.count -= 1


class FaultInjector:
    """Holds the active fault configuration; callers hold ``State.lock`` around ``decide``."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._config: dict = {}
        self._budgets: dict[str, _Budget] = {}
        self._throttle: dict | None = None
        self._buckets: dict[str, tuple[float, float]] = {}
        self._random: dict | None = None
        self._rng: random.Random | None = None
        self.retry_after_ms: int | None = None

    def configure(self, config: dict) -> None:
        """Replace the whole configuration (see README "Faults" for the schema)."""
        self.clear()
        self._config = dict(config)
        self.retry_after_ms = config.get("retry_after_ms")
        for name in ("error_burst", "drop_connections", "slow", "lose_response"):
            spec = config.get(name)
            if spec:
                spec = {"count": spec} if isinstance(spec, int) else dict(spec)
                self._budgets[name] = _Budget(int(spec.pop("count", 1)), spec.pop("actions", None), spec)
        throttle = config.get("throttle_qps")
        if throttle:
            throttle = {"qps": throttle} if isinstance(throttle, (int, float)) else dict(throttle)
            self._throttle = {"qps": float(throttle["qps"]), "actions": throttle.get("actions")}
        spec = config.get("random")
        if spec:
            unknown = set(spec.get("kinds", KINDS)) - set(KINDS)
            if unknown:
                raise ValueError(f"unknown random fault kinds: {sorted(unknown)}")
            self._random = {"rate": float(spec.get("rate", 0.1)), "kinds": list(spec.get("kinds", KINDS)),
                            "remaining": int(spec.get("max_faults", 10)), "actions": spec.get("actions"),
                            "delay": float(spec.get("delay", 0.2))}
            self._rng = random.Random(spec.get("seed", 0))

    def describe(self) -> dict:
        budgets = {name: {"count": b.count, "actions": b.actions, **b.options} for name, b in self._budgets.items()}
        view = {"configured": self._config, "remaining": budgets}
        if self._random is not None:
            view["random_remaining"] = self._random["remaining"]
        return view

    def decide(self, account_id: str, action: str) -> Decision:
        decision = Decision()
        slow = self._budgets.get("slow")
        if slow and slow.applies(action):
            slow.take()
            decision.delay = float(slow.options.get("delay", 1.0))
            decision.kind = "slow"
        drop = self._budgets.get("drop_connections")
        if drop and drop.applies(action):
            drop.take()
            return dataclasses.replace(decision, drop=True, kind="drop")
        if self._throttled(account_id, action):
            return dataclasses.replace(decision, error=self.throttling_error(), kind="throttle")
        burst = self._budgets.get("error_burst")
        if burst and burst.applies(action):
            burst.take()
            code = burst.options.get("code", "ServiceUnavailable")
            error = ApiError(int(burst.options.get("status", 503)), code,
                             burst.options.get("message", SERVER_MESSAGES.get(code, "Injected fault.")))
            return dataclasses.replace(decision, error=self._with_retry_after(error), kind="error")
        lose = self._budgets.get("lose_response")
        if lose and lose.applies(action):
            lose.take()
            return dataclasses.replace(decision, lose_response=True, kind="lose")
        return self._random_fault(action) or decision

    def _throttled(self, account_id: str, action: str) -> bool:
        """Per-account token bucket holding at most one second's worth of calls."""
        if self._throttle is None or (self._throttle["actions"] and action not in self._throttle["actions"]):
            return False
        qps = self._throttle["qps"]
        now = time.monotonic()
        tokens, last = self._buckets.get(account_id, (qps, now))
        tokens = min(qps, tokens + (now - last) * qps)
        if tokens < 1:
            self._buckets[account_id] = (tokens, now)
            return True
        self._buckets[account_id] = (tokens - 1, now)
        return False

    def throttling_error(self) -> ApiError:
        return self._with_retry_after(ApiError(400, "Throttling.User", THROTTLE_MESSAGE))

    def _with_retry_after(self, error: ApiError) -> ApiError:
        if self.retry_after_ms is not None:
            error.headers["x-acs-retry-after"] = str(int(self.retry_after_ms))
        return error

    def _random_fault(self, action: str) -> Decision | None:
        """Seeded soak-test faults: the same seed and call sequence give the same faults."""
        spec = self._random
        if spec is None or spec["remaining"] <= 0 or (spec["actions"] and action not in spec["actions"]):
            return None
        roll, kind = self._rng.random(), self._rng.choice(spec["kinds"])
        if roll >= spec["rate"]:
            return None
        spec["remaining"] -= 1
        if kind == "throttle":
            return Decision(error=self.throttling_error(), kind=kind)
        if kind == "error":
            error = ApiError(503, "ServiceUnavailable", SERVER_MESSAGES["ServiceUnavailable"])
            return Decision(error=self._with_retry_after(error), kind=kind)
        if kind == "drop":
            return Decision(drop=True, kind=kind)
        if kind == "slow":
            return Decision(delay=spec["delay"], kind=kind)
        return Decision(lose_response=True, kind="lose")


# --- generic product guards: documented QPS limits and RAM refusals -------------------------------
# Alibaba's common refusal when RAM does not allow an action (public error-code pages, the
# ECS 2025 authentication notice): 403 Forbidden.RAM with this message and, since 2025, an
# AccessDeniedDetail object that the tea SDK reads (ClientException.access_denied_detail).
# UNCONFIRMED per product: that CDN, DCDN, SLB, ALB and NLB answer this code rather than a
# NoPermission variant, and the exact AccessDeniedDetail members they fill in.
RAM_DENIED_CODE = "Forbidden.RAM"
RAM_DENIED_MESSAGE = "User not authorized to operate on the specified resource, or this API doesn't support RAM."


class ProductGuards:
    """What the gateway checks for every product service before its handler runs.

    * QPS: each service's ``qps_limits`` ({Action: calls per second per account}, from its
      API pages), replaced for the whole product by ``set_qps(product, n)`` (0: no limit;
      None: the documented limits again). Over the limit: the service's ``throttling_code``
      (default ``Throttling.User``, the gateway's) with HTTP 400.
    * RAM: ``deny({"action": ...} | {"product": ...}, account_id?)`` refuses matching calls
      with ``Forbidden.RAM`` until ``clear()`` (every reset).
    Callers hold ``State.lock``.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.qps: dict[str, float] = {}  # product name -> override (0: unlimited)
        self.denials: list[dict] = []
        self._buckets: dict[tuple, tuple[float, float]] = {}

    def set_qps(self, product: str, value) -> None:
        if value is None:
            self.qps.pop(product, None)
        else:
            value = float(value)
            if value < 0:
                raise ValueError("qps must be >= 0 (0: no limit; null: the documented limits)")
            self.qps[product] = value
        self._buckets = {key: bucket for key, bucket in self._buckets.items() if key[0] != product}

    def limit(self, service, action: str) -> float | None:
        name = getattr(service, "name", None)
        if name in self.qps:
            return self.qps[name] or None
        return (getattr(service, "qps_limits", None) or {}).get(action)

    def describe(self, service) -> dict:
        name = service.name
        return {"qps": self.qps.get(name), "documented_qps": dict(getattr(service, "qps_limits", {}) or {}),
                "denied": [rule for rule in self.denials if rule.get("product") in (None, name)]}

    def deny(self, rule: dict) -> dict:
        unknown = set(rule) - {"action", "product", "account_id"}
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
        if not rule.get("action") and not rule.get("product"):
            raise ValueError("deny needs an action, a product, or both")
        rule = {key: str(value) for key, value in rule.items() if value not in (None, "")}
        self.denials.append(rule)
        return rule

    def check(self, service, caller, action: str) -> ApiError | None:
        """The refusal for this call, or None. RAM first: a denied call is not counted."""
        name = getattr(service, "name", None)
        for rule in self.denials:
            if (rule.get("product") in (None, name) and rule.get("action") in (None, action)
                    and rule.get("account_id") in (None, caller.account_id)):
                return ram_denied(service, caller, action)
        qps = self.limit(service, action)
        if qps and self._over(name, caller.account_id, action, qps):
            code = getattr(service, "throttling_code", "Throttling.User")
            return ApiError(400, code, THROTTLE_MESSAGE)
        return None

    def _over(self, product: str, account_id: str, action: str, qps: float) -> bool:
        """Per (product, account, action) token bucket holding one second's worth of calls."""
        key = (product, account_id, action)
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (qps, now))
        tokens = min(qps, tokens + (now - last) * qps)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return True
        self._buckets[key] = (tokens - 1, now)
        return False


def ram_denied(service, caller, action: str) -> ApiError:
    prefix = getattr(service, "ram_prefix", None) or getattr(service, "name", "")
    error = ApiError(403, RAM_DENIED_CODE, RAM_DENIED_MESSAGE)
    error.body_fields = {"AccessDeniedDetail": {
        "AuthAction": f"{prefix}:{action}", "AuthPrincipalType": "SubUser",
        "AuthPrincipalOwnerId": caller.account_id, "AuthPrincipalDisplayName": caller.access_key_id,
        "NoPermissionType": "ImplicitDeny", "PolicyType": "AccountLevelIdentityBasedPolicy",
        "EncodedDiagnosticMessage": base64.b64encode(f"{prefix}:{action} denied".encode()).decode(),
    }}
    return error
