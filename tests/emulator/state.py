"""All mutable emulator state, guarded by one re-entrant lock.

Every action and control handler takes ``State.lock`` for its whole read-modify-write,
so concurrent clients see the same serialisable behaviour a real backend would give.
"""

import collections
import dataclasses
import datetime
import itertools
import math
import os
import threading
import time

from . import domains

NONCE_RETENTION_SECONDS = 30 * 60  # timestamps are accepted +/-15 min, so 30 min covers reuse
CALL_LOG_LIMIT = 20000
MAX_VALIDITY_DAYS = 36500  # a hundred years: far from the year 9999 X.509 and datetime end at


def validity_days_value(value) -> int | float:
    """``validity_days`` as given to the control API, the wrapper or the command line.

    Any finite number of days above 0 and up to MAX_VALIDITY_DAYS, fractions included: 30.0003
    is 30 days and about 26 s, a certificate just over a 30-day renewal window that falls
    inside it half a minute later. Whole numbers stay ints, so the state shows 90, not 90.0.
    Raises ValueError with a message that names the setting.
    """
    problem = f"validity_days must be a number of days > 0 and at most {MAX_VALIDITY_DAYS} " \
              f"(fractions allowed, e.g. 30.0003), not {value!r}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(problem)
    try:
        days = float(value)
    except ValueError:
        raise ValueError(problem) from None
    if not math.isfinite(days) or not 0 < days <= MAX_VALIDITY_DAYS:
        raise ValueError(problem)
    return int(days) if days.is_integer() else days


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclasses.dataclass
class AccessKey:
    access_key_id: str
    access_key_secret: str
    account_id: str
    security_token: str | None = None  # set for STS credentials
    expiration: float | None = None  # epoch seconds; STS only

    def public(self) -> dict:
        return {"access_key_id": self.access_key_id, "account_id": self.account_id,
                "sts": self.security_token is not None, "expiration": self.expiration}


@dataclasses.dataclass
class Record:
    record_id: str
    rr: str
    type: str
    value: str
    ttl: int
    line: str
    priority: int | None
    create_ms: int
    update_ms: int
    status: str = "ENABLE"

    def same_slot(self, rr: str, type_: str, line: str) -> bool:
        return self.rr.lower() == rr.lower() and self.type == type_ and self.line == line

    def public(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Zone:
    name: str
    domain_id: str
    account_id: str
    create_ms: int
    records: dict[str, Record] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Quota:
    total: int
    used: int = 0
    issued: int = 0


@dataclasses.dataclass
class Order:
    order_id: int
    account_id: str
    domain: str
    product_code: str
    validate_type: str
    email: str
    phone: str
    username: str
    tags: list[dict]
    instance_id: str
    aliyun_order_id: int
    buy_ms: int
    record_value: str  # DNS TXT value, and FILE content, for this order
    private_key: object | None  # cryptography key when CAS generated it
    public_key: object
    type: str = "domain_verify"
    process_since: float | None = None
    ever_issued: bool = False
    cert_id: str | None = None
    certificate: str | None = None  # leaf PEM + intermediate PEM
    private_key_pem: str | None = None
    cert_start_ms: int | None = None
    cert_end_ms: int | None = None
    cancel_reads_left: int | None = None  # cancel_mode=async: reads before a cancel takes effect


@dataclasses.dataclass
class Settings:
    issue_delay: float = 0.0
    auto_dns_validation: bool = False
    record_domain_style: str = "zone"  # or "domain"
    verify_fail_domains: list[str] = dataclasses.field(default_factory=list)
    validity_days: int | float = 90  # days, fractions allowed (validity_days_value)
    # CAS behaviours the reference leaves UNCONFIRMED (README, "Choices for unconfirmed behaviour").
    fresh_order_list_status: str = "CHECKING"  # or "PAYED": list Status of a domain_verify order
    list_lag: int = 0  # lists omit the changes made during the account's last N list calls
    cancel_mode: str = "sync"  # or "async": CancelOrderRequest takes effect after one more read
    quota_refusal: str = "documented"  # or "generic": how a create without quota is refused
    # V2.0 instances (instances.py); the UNCONFIRMED ones are documented in the README.
    instance_validation_delay: float = 2.0  # seconds from ApplyCertificate to DomainValidationList
    instance_cancel_delay: float = 1.0  # CancelPendingCertificate takes effect this much later
    instance_cancel_status: str = "normal"  # or "inactive": Status after a withdrawal
    instance_time_unit: str = "ms"  # or "s": unit of V2.0 timestamps
    client_token_honoured: bool = False  # a repeated ClientToken returns the first answer
    contact_limit: int = 100
    # Alidns behaviours the reference leaves UNCONFIRMED (README, "Choices for unconfirmed behaviour").
    dns_visibility_delay: float = 0.0  # seconds before a written TXT record counts for CAS validation
    ttl_floor: int = 600  # smallest TTL Alidns accepts: 600 on the free edition, down to 1 on paid ones
    show_size_cap: int | None = None  # most items a list page holds, whatever PageSize/ShowSize asked
    record_info_gone_code: str = "InvalidRR.NoExist"  # or "DomainRecordNotBelongToUser": DescribeDomainRecordInfo, unknown id
    # The CAS site the emulator plays: the region in every CertIdentifier (certificates.py).
    cas_site: str = "china"  # or "international"

    def validity(self) -> datetime.timedelta:
        """The lifetime of an issued certificate, in whole seconds as X.509 time holds it."""
        return datetime.timedelta(seconds=round(self.validity_days * 86400))


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._nonces: dict[tuple[str, str], float] = {}
        self._nonce_order: collections.deque = collections.deque()
        # Realistic-looking identifiers; order ids are 17 digits like real CAS ones. Counters
        # survive clear() so ids stay unique for the emulator's whole life.
        self.order_ids = itertools.count(98_987_582_437_920_968)
        self.record_ids = itertools.count(20_001_000_000_000_001)
        self.cert_ids = itertools.count(12_000_001)
        self.aliyun_order_ids = itertools.count(230_000_000_000_001)
        self.instance_ids = itertools.count(1)
        self.contact_ids = itertools.count(3_000_001)
        self.clear(Settings())

    def clear(self, settings: Settings) -> None:
        """Forget accounts, DNS, quotas, orders, instances, contacts, published files and the call log."""
        self.settings = settings
        self.keys: dict[str, AccessKey] = {}
        self.accounts: set[str] = set()
        self.zones: dict[str, dict[str, Zone]] = {}  # account -> zone name -> zone
        self.quotas: dict[tuple[str, str], Quota] = {}
        self.orders: dict[int, Order] = {}
        self.files: dict[tuple[str, str], str] = {}
        self.webroots: dict[str, list[str]] = {}
        self.instances: dict = {}  # instance id -> instances.Instance
        self.instance_certificates: dict = {}  # certificate id -> instances.InstanceCertificate
        self.contacts: dict = {}  # contact id -> instances.Contact
        self.uploaded_certificates: dict = {}  # certificate id -> certificates.CasCertificate (source "upload")
        self.client_tokens: dict = {}  # (account, action, token) -> first answer
        self.list_calls: dict[tuple[str, str], int] = {}  # (account, list) -> list calls answered
        self.list_changes: list[ListChange] = []  # changes that lists may still omit (list_lag)
        self.calls: collections.deque = collections.deque(maxlen=CALL_LOG_LIMIT)

    # --- accounts and credentials -------------------------------------------------------
    def add_account(self, account_id: str) -> None:
        self.accounts.add(account_id)
        self.zones.setdefault(account_id, {})

    def add_key(self, key: AccessKey) -> None:
        self.add_account(key.account_id)
        self.keys[key.access_key_id] = key

    def use_nonce(self, access_key_id: str, nonce: str) -> bool:
        """Record a nonce; False when it was already used within the retention window."""
        now = time.monotonic()
        while self._nonce_order and self._nonce_order[0][0] < now - NONCE_RETENTION_SECONDS:
            stale = self._nonce_order.popleft()[1]
            self._nonces.pop(stale, None)
        entry = (access_key_id, nonce)
        if entry in self._nonces:
            return False
        self._nonces[entry] = now
        self._nonce_order.append((now, entry))
        return True

    # --- DNS ------------------------------------------------------------------------------
    def zone_owner(self, zone_name: str) -> str | None:
        for account_id, zones in self.zones.items():
            if zone_name.lower() in zones:
                return account_id
        return None

    def find_zone(self, fqdn: str, account_id: str | None = None) -> Zone | None:
        """Longest hosted zone containing ``fqdn`` (in one account, or in any account)."""
        accounts = [account_id] if account_id is not None else list(self.zones)
        best = None
        for acc in accounts:
            for zone in self.zones.get(acc, {}).values():
                if domains.in_zone(fqdn, zone.name) and (best is None or len(zone.name) > len(best.name)):
                    best = zone
        return best

    def public_txt_values(self, fqdn: str) -> set[str]:
        """TXT values published for ``fqdn`` in any account's zones: hosted DNS is public.

        A record counts only ``dns_visibility_delay`` seconds after it was last written, as
        when the validating resolver sees the authoritative servers late.
        """
        visible_before = now_ms() - int(self.settings.dns_visibility_delay * 1000)
        values = set()
        for zones in self.zones.values():
            for zone in zones.values():
                if not domains.in_zone(fqdn, zone.name):
                    continue
                rr = domains.relative_name(fqdn, zone.name)
                values.update(
                    r.value for r in zone.records.values()
                    if r.type == "TXT" and r.rr.lower() == rr and r.status == "ENABLE"
                    and r.update_ms <= visible_before
                )
        return values

    def served_file_contents(self, domain: str, uri: str) -> list[str]:
        """What http://``domain````uri`` serves, stripped: the file ``POST files`` published,
        and the file under each web root ``POST webroots`` registered for the domain. Both CAS
        flows fetch FILE (V2.0: HTTP) validations the same way."""
        contents = []
        if (domain, uri) in self.files:
            contents.append(self.files[(domain, uri)].strip())
        for root in self.webroots.get(domain, []):
            try:
                with open(os.path.join(root, uri.lstrip("/")), encoding="utf-8") as handle:
                    contents.append(handle.read().strip())
            except OSError:
                continue
        return contents

    def served_page_size(self, asked: int) -> int:
        """The page size a list answers with: the one asked, unless ``show_size_cap`` is lower."""
        cap = self.settings.show_size_cap
        return min(asked, cap) if cap else asked

    # --- lagging lists (setting list_lag) -----------------------------------------------------
    def record_list_change(self, account_id: str, list_name: str, key, before: dict | None) -> None:
        """Note that an item of a list changes now; ``before`` is its list entry until now (None: new)."""
        if self.settings.list_lag > 0:
            calls = self.list_calls.get((account_id, list_name), 0)
            self.list_changes.append(ListChange(account_id, list_name, calls, key, before))

    def lagging_view(self, account_id: str, list_name: str, current: dict) -> dict:
        """The entries one list call shows: ``current`` (key -> entry) with the changes made
        since the last ``list_lag`` list calls of the account undone. Counts the call."""
        calls = self.list_calls.get((account_id, list_name), 0) + 1
        self.list_calls[(account_id, list_name)] = calls
        oldest_hidden = calls - self.settings.list_lag
        view = dict(current)
        undone = set()
        for change in self.list_changes:  # oldest first: the first undone change restores the oldest entry
            if (change.account_id, change.list_name) != (account_id, list_name) or change.list_calls < oldest_hidden:
                continue
            if change.key in undone:
                continue
            undone.add(change.key)
            if change.before is None:
                view.pop(change.key, None)
            else:
                view[change.key] = change.before
        self.list_changes = [c for c in self.list_changes if c.list_calls >= oldest_hidden
                             or (c.account_id, c.list_name) != (account_id, list_name)]
        return view

    # --- calls ----------------------------------------------------------------------------
    def log_call(self, entry: dict) -> None:
        self.calls.append(entry)


@dataclasses.dataclass(frozen=True)
class ListChange:
    account_id: str
    list_name: str
    list_calls: int  # the account's calls of that list answered before the change
    key: object
    before: dict | None


@dataclasses.dataclass(frozen=True)
class Caller:
    """The authenticated identity of one API call."""

    account_id: str
    access_key_id: str
