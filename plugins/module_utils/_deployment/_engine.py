# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Read, compare, write: once for every product.

Plain functions over an ``adapters`` mapping (product -> Adapter instance) and a
``certificates`` object (``by_id``, ``newest_covering``, ``names_of``, ``usable``: see
_cas_certificates.CasCertificates), so that tests can pass fakes of both.

Order of events: every item of every deployment is checked (no call), then each deployment's
certificate is resolved, then its targets are read, then compared and, on a difference and
outside check mode, written. A target's error is its outcome; the others go on.

Targets run in lanes (``Adapter.lane``, decided after the read): the targets of one lane one
after the other, in item order; different lanes at the same time, on at most ``MAX_WORKERS``
threads. So the writes to one load balancer stay serialized while other load balancers' and
products' go on; the reads run on the same threads. Results and diff keep item order.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.alicloud.cas.plugins.module_utils._cas_certificates import (
    covers_all,
    parse_certificate_id,
)
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import DeployableCertificate, Plan
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlibabaCloudError,
    AlicloudCasError,
    ConfigurationError,
    PartialResultError,
    is_permission_error,
)
from ansible_collections.alicloud.cas.plugins.module_utils._validation import normalize_domain

TARGET_OPTIONS = ("product", "domain", "region", "load_balancer_id", "listener_port", "listener_id", "additional",
                  "enable_https", "force")
# Accepted for every product: force only matters where a listener has no domain, and is harmless elsewhere.
COMMON_OPTIONS = ("product", "force")
CAS_RAM_PREFIX = "yundun-cert"
CAS_ACTIONS = frozenset(("GetUserCertificateDetail", "ListCertificates", "GetCertificateDetail"))
RAM_PREFIXES = {"cdn": "cdn", "dcdn": "dcdn", "clb": "slb", "alb": "alb", "nlb": "nlb"}
BOOLEAN_OPTIONS = ("additional", "enable_https", "force")
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_REGION_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


# Threads for one run's reads and lanes: enough to overlap ALB/NLB Configuring waits and
# network round trips, few enough to stay near the products' QPS limits (the transport retries
# throttled calls anyway) and inside requests' connection pool (10 per host).
MAX_WORKERS = 8


def _in_pool(function, items):
    """``[function(item) for item in items]``, run on up to MAX_WORKERS threads; results in
    item order. An exception (a bug: errors of the API are outcomes) is raised once every
    item has finished, so that no write is left half-watched."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(items))) as pool:
        futures = [pool.submit(function, item) for item in items]
    return [future.result() for future in futures]


def _is_set(value):
    # A boolean option left at its default (false) counts as not set.
    return value is not None and value is not False


def target_argument_spec(required=False):
    """The ``targets`` option of both deployment modules (documented by alicloud.cas.deployment.targets)."""
    return dict(type="list", elements="dict", required=required, options=dict(
        product=dict(type="str", required=True, choices=list(RAM_PREFIXES)),
        domain=dict(type="str"),
        region=dict(type="str"),
        load_balancer_id=dict(type="str"),
        listener_port=dict(type="int"),
        listener_id=dict(type="str"),
        additional=dict(type="bool", default=False),
        enable_https=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
    ))


def _boolean(value, option):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ConfigurationError("%s must be true or false, got %r." % (option, value), option=option)


# --- validation -------------------------------------------------------------------------------

def validate_target(item, path, adapter_classes):
    """The item with normalised values; ConfigurationError naming ``path.option`` otherwise."""
    if not isinstance(item, dict):
        raise ConfigurationError("%s must be a dict with product and its keys." % path, option=path)
    product = item.get("product")
    if product not in adapter_classes:
        choices = ", ".join(sorted(adapter_classes))
        raise ConfigurationError("%s.product must be one of %s, got %r." % (path, choices, product),
                                 option="%s.product" % path)
    adapter_class = adapter_classes[product]
    required, optional = tuple(adapter_class.required_options), tuple(adapter_class.optional_options)
    allowed = set(COMMON_OPTIONS) | set(required) | set(optional)
    unknown = [name for name in item if name not in TARGET_OPTIONS]
    if unknown:
        raise ConfigurationError("%s.%s is not an option of a target; use %s." % (
            path, unknown[0], ", ".join(TARGET_OPTIONS)), option="%s.%s" % (path, unknown[0]))
    # Items under deployments are not typed by Ansible (a list of dicts), so booleans may be strings.
    item = dict(item)
    for name in BOOLEAN_OPTIONS:
        if item.get(name) is not None:
            item[name] = _boolean(item[name], "%s.%s" % (path, name))
    for name in TARGET_OPTIONS:
        if _is_set(item.get(name)) and name not in allowed:
            raise ConfigurationError(
                "%s.%s does not apply to a %s target, which takes %s. Remove it." % (
                    path, name, product, ", ".join(sorted(set(required) | set(optional)))),
                option="%s.%s" % (path, name))
    for name in required:
        if item.get(name) in (None, ""):
            raise ConfigurationError("%s.%s is required for a %s target (it needs %s)." % (
                path, name, product, ", ".join(required)), option="%s.%s" % (path, name))
    target = dict((name, item.get(name)) for name in TARGET_OPTIONS if name in allowed)
    for name in BOOLEAN_OPTIONS:
        if name in target:
            target[name] = bool(target[name])
    if target.get("domain"):
        target["domain"] = normalize_domain(target["domain"], option="%s.domain" % path)
    if target.get("region") is not None:
        region = str(target["region"]).strip().lower()
        if not region or not set(region) <= _REGION_CHARS:
            raise ConfigurationError("%s.region must be a region id such as cn-hangzhou, got %r." % (
                path, target["region"]), option="%s.region" % path)
        target["region"] = region
    if target.get("listener_port") is not None:
        try:
            port = int(target["listener_port"])
        except (TypeError, ValueError):
            port = 0
        if not 1 <= port <= 65535:
            raise ConfigurationError("%s.listener_port must be a port from 1 to 65535, got %r." % (
                path, target["listener_port"]), option="%s.listener_port" % path)
        target["listener_port"] = port
    for name in ("load_balancer_id", "listener_id"):
        if target.get(name) is not None:
            target[name] = str(target[name]).strip()
    return target


def validate_deployments(params, adapter_classes, site, with_certificate=True):
    """[(selector, targets, path)] for the top-level form or ``deployments``; every item is
    checked here, before any call. ``selector`` is ``("id", int)`` or ``("domain", name)``, or
    None without ``with_certificate`` (the _info module, which takes only targets)."""
    if params.get("deployments") is not None:
        if any(params.get(name) is not None for name in ("certificate_id", "domain", "targets")):
            raise ConfigurationError("deployments cannot be combined with certificate_id, domain or targets; put"
                                     " them in the deployments items.", option="deployments")
        if not params["deployments"]:
            raise ConfigurationError("deployments is empty; give at least one item.", option="deployments")
        entries = [(item, "deployments[%d]." % index, "deployments[%d].targets" % index)
                   for index, item in enumerate(params["deployments"])]
    else:
        entries = [(params, "", "targets")]
    deployments, seen = [], {}
    for item, option_prefix, targets_path in entries:
        if not isinstance(item, dict):
            raise ConfigurationError("%s must be a dict with certificate_id or domain, and targets." % option_prefix[:-1],
                                     option=option_prefix[:-1])
        selector = _selector(item, option_prefix, site) if with_certificate else None
        raw_targets = item.get("targets")
        if not raw_targets:
            raise ConfigurationError("%s is required: the list of targets to deploy to." % targets_path,
                                     option=targets_path)
        targets = []
        for index, raw in enumerate(raw_targets):
            path = "%s[%d]" % (targets_path, index)
            target = validate_target(raw, path, adapter_classes)
            # An adapter made without clients only to name the target: identity makes no call.
            identity = (target["product"], adapter_classes[target["product"]](None).identity(target))
            if identity in seen:
                raise ConfigurationError(
                    "%s and %s name the same target; a target takes one certificate per run. Remove one of them."
                    % (seen[identity], path), option=path)
            seen[identity] = path
            targets.append(target)
        deployments.append((selector, targets, targets_path))
    return deployments


def _selector(item, prefix, site):
    certificate_id, domain = item.get("certificate_id"), item.get("domain")
    if (certificate_id is None) == (domain is None):
        raise ConfigurationError("Give exactly one of %scertificate_id and %sdomain." % (prefix, prefix),
                                 option="%scertificate_id" % prefix)
    if certificate_id is not None:
        number = parse_certificate_id(certificate_id, site, option="%scertificate_id" % prefix)
        # The identifier form (as CAS's CertIdentifier, which the role stores) is kept: it is all
        # an in-sync comparison needs, so a rerun need not ask CAS.
        identifier = str(certificate_id).strip() if "-" in str(certificate_id) else None
        return "id", number, identifier
    return "domain", normalize_domain(domain, option="%sdomain" % prefix), None


# --- one run ----------------------------------------------------------------------------------

def deploy(deployments, adapters, certificates, check_mode=False, diff_mode=False, write=True):
    """Carry out validated ``deployments``; returns the module result. ``write=False`` is the
    _info module: read and report only. Raises PartialResultError (with the whole result)
    when any target failed."""
    results, diffs = [], []
    for selector, targets, path in deployments:
        outcome = _deploy_one(selector, targets, path, adapters, certificates, check_mode, write)
        results.append(outcome)
        diffs.extend(outcome.pop("_diffs"))
    result = {"changed": any(t["changed"] for o in results for t in o["targets"])}
    if len(deployments) == 1 and deployments[0][2] == "targets":
        result.update(results[0])
    else:
        result["deployments"] = results
    if diff_mode and write:
        result["diff"] = {"before": {"targets": [d[0] for d in diffs]}, "after": {"targets": [d[1] for d in diffs]}}
    failed = ["%s[%d]" % (o_path, index) for (_s, _t, o_path), outcome in zip(deployments, results)
              for index, target in enumerate(outcome["targets"]) if target["failed"]]
    if failed:
        raise PartialResultError("%d of %d target(s) failed: %s. Every target's outcome is in the result." % (
            len(failed), sum(len(o["targets"]) for o in results), ", ".join(failed)), result)
    return result


class WantedCertificate:
    """The certificate of one deployment, read from CAS once and only when needed.

    With ``certificate_id`` in its identifier form (``<id>-<region>``), ``for_comparison``
    is built from it without a call, so that targets already in sync cost no CAS read; the
    details (names, dates, usability) are read when a target must be written. Otherwise the
    certificate is resolved up front. A failure to resolve is kept and is every target's.
    """

    def __init__(self, selector, targets, adapters, certificates):
        self.selector = selector
        self.targets = targets
        self.adapters = adapters
        self.certificates = certificates
        self.selected = None
        self._full = None
        self._error = None
        # Lanes ask for the certificate at the same time: it is read once.
        self._lock = threading.Lock()
        kind, value, identifier = selector
        self.for_comparison = None
        if kind == "id" and identifier:
            self.for_comparison = DeployableCertificate(value, identifier, identifier.split("-", 1)[1], None, [],
                                                        None, None)
        else:
            try:
                self.full()
            except AlicloudCasError:
                pass  # kept in self.error: every target's outcome

    @property
    def error(self):
        return self._error

    def known(self):
        """The full certificate when it has been read already, else None (never reads)."""
        return self._full

    def comparable(self):
        """The certificate for ``in_sync``: the identifier-built one, or the full one."""
        return self.for_comparison or self.full()

    def full(self):
        """The DeployableCertificate read from CAS and checked usable; raises the kept error."""
        with self._lock:
            if self._full is None and self._error is None:
                try:
                    self._full, self.selected = _resolve(self.selector, self.targets, self.adapters, self.certificates)
                except AlicloudCasError as error:
                    self._error = error
        if self._error is not None:
            raise self._error
        return self._full

    def summary(self):
        if self._full is not None:
            summary = self._full.summary()
            if self.selected:
                summary["selected"] = self.selected
            return summary
        if self.for_comparison is not None and self._error is None:
            # Not read from CAS: every target was already in sync.
            return dict(self.for_comparison.summary(), names=None, not_after=None)
        return None


def _deploy_one(selector, targets, path, adapters, certificates, check_mode, write):
    if not write:
        return {"targets": _in_pool(lambda target: _report_target(target, adapters[target["product"]], certificates),
                                    targets), "_diffs": []}
    wanted = WantedCertificate(selector, targets, adapters, certificates)
    if wanted.for_comparison is None and wanted.error is not None:
        return {"targets": [_failure(target, wanted.error, adapters[target["product"]]) for target in targets],
                "_diffs": [], "certificate": wanted.summary()}
    reads = _in_pool(lambda target: _read_target(target, adapters[target["product"]]), targets)
    lanes = {}
    for index, (target, (served, _error)) in enumerate(zip(targets, reads)):
        adapter = adapters[target["product"]]
        lanes.setdefault(_lane(adapter, target, served), []).append(index)
    finished = {}

    def run_lane(indexes):
        for index in indexes:
            target = targets[index]
            served, error = reads[index]
            finished[index] = _deploy_target(target, adapters[target["product"]], wanted, certificates, check_mode,
                                             served, error)

    _in_pool(run_lane, lanes.values())
    outcomes = [finished[index][0] for index in range(len(targets))]
    diffs = [finished[index][1] for index in range(len(targets))]
    return {"targets": outcomes, "_diffs": diffs, "certificate": wanted.summary()}


def _read_target(target, adapter):
    """(Served, None), or (None, the AlicloudCasError that is the target's outcome)."""
    try:
        return adapter.read(target), None
    except AlicloudCasError as error:
        return None, error


def _lane(adapter, target, served):
    """The adapter's lane of a target; a target whose read failed writes nothing, and goes in
    the product's lane (it only makes its outcome)."""
    if served is None:
        return (target["product"],)
    return adapter.lane(target, served)


def _resolve(selector, targets, adapters, certificates):
    kind, value, _identifier = selector
    if kind == "id":
        return certificates.usable(certificates.by_id(value)), None
    names = [value]
    for target in targets:
        names.extend(adapters[target["product"]].covered_names(target))
    return certificates.newest_covering(names, value)


def _base_outcome(target):
    outcome = dict((name, value) for name, value in target.items())
    outcome.update(changed=False, failed=False, msg="", certificate_id=None, previous=None)
    return outcome


def _failure(target, error, adapter):
    outcome = _base_outcome(target)
    outcome.update(failed=True, msg=_error_message(error, target, adapter))
    outcome.update(error.to_result())
    return outcome


def _error_message(error, target, adapter):
    described = _describe(adapter, target)
    if isinstance(error, AlibabaCloudError) and is_permission_error(error):
        action = error.action or "the action"
        # The certificate reads are CAS's (RAM service yundun-cert), the rest the product's.
        prefix = CAS_RAM_PREFIX if action in CAS_ACTIONS else RAM_PREFIXES.get(target["product"], target["product"])
        return ("%s: the RAM user or role may not call %s:%s (%s). Grant %s:%s (see the least-privilege policy"
                " in docs/deployment.md) and run again." % (described, prefix, action, error.code, prefix, action))
    return "%s: %s" % (described, error)


def _describe(adapter, target):
    try:
        return adapter.describe(target)
    except Exception:  # pylint: disable=broad-except  # a message must never fail
        return "%s target" % target.get("product")


def _served_names(served, certificates):
    """(names, not_after) of what a target serves: the product's report, else CAS's."""
    if served is None:
        return None, None
    if served.names is not None:
        return list(served.names), served.not_after
    if served.certificate_id is not None:
        return certificates.names_of(served.certificate_id)
    return None, served.not_after


def _side(served, certificates):
    names, not_after = _served_names(served, certificates)
    return {"certificate_id": served.certificate_id, "names": names, "not_after": not_after}


def _deploy_target(target, adapter, wanted, certificates, check_mode, served, read_error):
    """Compare and, on a difference, write one target that has been read (``served``), or make
    ``read_error`` its outcome."""
    described = _describe(adapter, target)
    before = {"target": described, "certificate_id": None, "names": None, "not_after": None}
    try:
        if read_error is not None:
            raise read_error
        outcome = _base_outcome(target)
        outcome["previous"] = served.previous()
        comparable = wanted.comparable()
        outcome["certificate_id"] = comparable.certificate_id

        def in_sync_outcome():
            # No CAS read for a target in sync: its names are the product's, or the certificate's when read anyway.
            known = wanted.known()
            before.update(certificate_id=served.certificate_id, names=served.names, not_after=served.not_after)
            if known is not None and served.names is None:
                before.update(names=list(known.names), not_after=known.not_after)
            outcome["msg"] = "%s already serves CAS certificate %d." % (described, comparable.certificate_id)
            return outcome, (before, dict(before))

        def settled(candidate):
            return adapter.in_sync(target, served, candidate) and not _dissociation_left(
                target, served, wanted, certificates)

        if settled(comparable):
            return in_sync_outcome()
        certificate = wanted.full()
        # The identifier-only certificate has no names, dates or PEM: a target that can only be
        # matched by them (CLB's PEM copy on the international site) is asked again.
        if certificate is not comparable and settled(certificate):
            return in_sync_outcome()
        before.update(_side(served, certificates))
        # Before any write: the certificate must cover the target's domain.
        wanted_names = list(adapter.covered_names(target))
        missing = covers_all(certificate.names, wanted_names)
        if missing:
            raise ConfigurationError(
                "CAS certificate %d (%s) does not cover %s. Deploy a certificate whose names cover it."
                % (certificate.certificate_id, ", ".join(certificate.names), ", ".join(missing)))
        dissociate = []
        if target.get("additional"):
            dissociate = _covered_additional(served, certificate, certificates)
        elif not wanted_names:
            _check_listener_names(target, described, served, certificate, certificates)
        plan = Plan(target, served, certificate, dissociate=dissociate)
        outcome["changed"] = True
        if check_mode:
            outcome["msg"] = "%s would be pointed at CAS certificate %d (check mode)." % (
                described, certificate.certificate_id)
        else:
            extras = adapter.apply(plan) or {}
            for name, value in extras.items():
                if name not in outcome:
                    outcome[name] = value
            outcome["msg"] = "%s now serves CAS certificate %d." % (described, certificate.certificate_id)
        if dissociate:
            outcome["dissociated"] = [entry.previous() for entry in dissociate]
        after = dict(before, certificate_id=certificate.certificate_id, names=list(certificate.names),
                     not_after=certificate.not_after)
        return outcome, (before, after)
    except AlicloudCasError as error:
        failure = _failure(target, error, adapter)
        if served is not None:
            failure["previous"] = served.previous()
        return failure, (before, dict(before))


def _dissociation_left(target, served, wanted, certificates):
    """True for an additional target that serves the certificate already but still holds an
    old one it should have dissociated: an earlier run associated the new certificate and its
    dissociation was lost. Only then are the other certificates' names read."""
    if not target.get("additional"):
        return False
    wanted_id = wanted.comparable().certificate_id
    if not any(entry.certificate_id not in (None, wanted_id) for entry in served.additional or ()):
        return False
    return bool(_covered_additional(served, wanted.full(), certificates))


def _covered_additional(served, certificate, certificates):
    """Additional certificates whose every name the new one holds (never the new one itself)."""
    found = []
    for entry in served.additional or []:
        if entry.certificate_id == certificate.certificate_id:
            continue
        names, _not_after = _served_names(entry, certificates)
        if names and not covers_all(certificate.names, names):
            found.append(entry)
    return found


def _check_listener_names(target, described, served, certificate, certificates):
    """A listener without a domain: the new certificate must cover every name of the one it
    serves (so that www's certificate never replaces shop's), unless force."""
    if target.get("force") or (served.certificate_id is None and served.product_reference is None):
        return
    names, _not_after = _served_names(served, certificates)
    if names is None:
        raise ConfigurationError(
            "%s serves %s, whose names cannot be read, so it cannot be told whether CAS certificate %d covers"
            " them. Set force: true on this target to replace it anyway." % (
                described, served.product_reference or served.certificate_id, certificate.certificate_id))
    missing = covers_all(certificate.names, names)
    if missing:
        raise ConfigurationError(
            "%s serves certificate %s for %s; CAS certificate %d does not cover %s, so replacing it would break"
            " those names. Deploy a certificate that covers them, or set force: true on this target." % (
                described, served.certificate_id or served.product_reference, ", ".join(names),
                certificate.certificate_id, ", ".join(missing)))


# --- the _info module ---------------------------------------------------------------------------

def _report_target(target, adapter, certificates):
    import datetime

    try:
        served = adapter.read(target)
        names, not_after = _served_names(served, certificates)
        identifier = None
        if served.certificate_id is not None:
            try:
                identifier = certificates.by_id(served.certificate_id).certificate_identifier
            except AlicloudCasError:
                identifier = None
        days_left = None
        if not_after:
            moment = datetime.datetime.strptime(not_after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
            now = datetime.datetime.fromtimestamp(certificates.clock(), tz=datetime.timezone.utc)
            days_left = int((moment - now).total_seconds() // 86400)
        outcome = _base_outcome(target)
        del outcome["previous"]  # the _info module reports what is served, not a change
        outcome.update(certificate_id=served.certificate_id, certificate_identifier=identifier, names=names,
                       not_after=not_after, days_left=days_left, https_enabled=served.https_enabled,
                       product_reference=served.product_reference)
        return outcome
    except AlicloudCasError as error:
        return _failure(target, error, adapter)
