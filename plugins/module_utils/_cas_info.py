# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""The logic of the CAS info modules (certificate_request_info, certificate_order_info,
certificate_instance_info, package_info), kept apart from AnsibleModule so it can be tested
with fake clients. certificate_request_info reads both flows, V1.0 orders and V2.0 instances,
through one poller, and may save what it reads as files."""

from __future__ import annotations

import calendar
import os
import time

from ansible_collections.alicloud.cas.plugins.module_utils._cas import (
    ORDER_PHASES,
    STATUS_MEANINGS,
    iso_from_ms,
    normalize_certificate_item,
    normalize_order,
    normalize_state,
    same_domain,
)
from ansible_collections.alicloud.cas.plugins.module_utils._cas_instances import CasInstancesClient
from ansible_collections.alicloud.cas.plugins.module_utils._certificate_files_write import (
    FILE_OPTIONS,
    check_archive_directory,
    destinations,
    file_modes,
    material,
    write_archive,
    write_files,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlicloudCasError,
    ConfigurationError,
    PartialResultError,
)
from ansible_collections.alicloud.cas.plugins.module_utils._validation import (
    PACKAGE_PRODUCT_CODES,
    base_domain,
    normalize_domain,
)

# wait_for takes the V1.0 order states (as before) and the phases of both flows.
WAITABLE_STATES = ("domain_verify", "process", "certificate", "verify_fail", "payed")
WAITABLE_PHASES = ("validating", "reviewing", "issued", "failed", "withdrawn")
WAIT_FOR_CHOICES = WAITABLE_STATES + WAITABLE_PHASES
# Phases a request never leaves by itself, so waiting for another one is pointless. An
# instance that is inactive holds no application at all.
FINAL_PHASES = ("issued", "failed", "withdrawn", "inactive")
IDENTIFIERS = ("order_id", "instance_id", "domain")


# The options of certificate_download that certificate_request_info keeps, deprecated, until 1.0.0.
REMOVED_FROM_REQUEST_INFO = dict(removed_in_version="1.0.0", removed_from_collection="alicloud.cas")


def request_argument_spec(writing, wait_default=False):
    """``(argument_spec, module_kwargs)`` of the modules that read requests: certificate_request_info
    (``writing="deprecated"``: its writing options, until 1.0.0) and certificate_download
    (``writing="current"``). The file common arguments come from ``add_file_common_args``."""
    deprecated = REMOVED_FROM_REQUEST_INFO if writing == "deprecated" else {}

    def file_option(**spec):
        return dict(spec, **deprecated)

    dests = dict((option, file_option(type="path")) for _kind, option in FILE_OPTIONS)
    item = dict(name=dict(type="str"), order_id=dict(type="int"), instance_id=dict(type="str"),
                domain=dict(type="str"), **dests)
    spec = dict(
        order_id=dict(type="int"),
        instance_id=dict(type="str"),
        domain=dict(type="str"),
        certificates=dict(type="list", elements="dict", options=item,
                          mutually_exclusive=[("order_id", "instance_id", "domain")],
                          required_one_of=[("order_id", "instance_id", "domain")]),
        wait=dict(type="bool", default=wait_default),
        wait_for=dict(type="list", elements="str", choices=list(WAIT_FOR_CHOICES), default=["certificate"]),
        wait_timeout=dict(type="int", default=900),
        poll_interval=dict(type="float", default=5),
        poll_interval_max=dict(type="float", default=60),
        archives=file_option(type="list", elements="dict", options=dict(
            dest=dict(type="path", required=True),
            members=dict(type="list", elements="dict", required=True, options=dict(
                certificate=dict(type="str", required=True), dir=dict(type="str", required=True))))),
        privatekey_mode=file_option(type="raw", no_log=False),
        **dests
    )
    kwargs = dict(mutually_exclusive=[("order_id", "instance_id", "domain", "certificates")],
                  required_one_of=[("order_id", "instance_id", "domain", "certificates")],
                  add_file_common_args=True)
    return spec, kwargs


class OrderNotFoundError(AlicloudCasError):
    """No order or instance matches what the task asked for."""


class WaitError(PartialResultError):
    """A wait that ended without reaching a wanted state; the last state goes into the result."""


class BatchError(PartialResultError):
    """Some certificates of a batch failed; the result still holds every item's outcome."""


def _positive(params, option, default):
    value = params.get(option)
    if value is None:
        value = default
    if value <= 0:
        raise ConfigurationError("%s must be more than 0, got %s." % (option, value), option)
    return value


def _identifier(item, where):
    """``(kind, value)`` of the one order_id, instance_id or domain of ``item``, checked."""
    given = [key for key in IDENTIFIERS if item.get(key) is not None]
    if len(given) != 1:
        raise ConfigurationError("%sGive exactly one of order_id, instance_id and domain." % where,
                                 given[0] if given else "order_id")
    kind = given[0]
    value = item[kind]
    if kind == "order_id" and value <= 0:
        raise ConfigurationError("%sorder_id must be a positive order number, got %s." % (where, value), "order_id")
    if kind == "instance_id":
        value = value.strip()
        if not value:
            raise ConfigurationError("%sinstance_id must not be empty." % where, "instance_id")
    if kind == "domain":
        value = normalize_domain(value)
    return kind, value


def check_request_info_options(params):
    """The options of certificate_request_info, validated before any call."""
    batch = params.get("certificates")
    wait_for = list(params.get("wait_for") or ["certificate"])
    unknown = [state for state in wait_for if state not in WAIT_FOR_CHOICES]
    if unknown:
        raise ConfigurationError("wait_for has unknown states %s; use some of %s." % (
            ", ".join(unknown), ", ".join(WAIT_FOR_CHOICES)), "wait_for")
    poll_interval = _positive(params, "poll_interval", 5)
    poll_interval_max = _positive(params, "poll_interval_max", 60)
    if poll_interval_max < poll_interval:
        raise ConfigurationError("poll_interval_max (%s) must not be less than poll_interval (%s)." % (
            poll_interval_max, poll_interval), "poll_interval_max")
    items = []
    if batch is not None:
        given = [key for key in IDENTIFIERS + tuple(option for _kind, option in FILE_OPTIONS)
                 if params.get(key) is not None]
        if given:
            raise ConfigurationError(
                "%s cannot be combined with certificates: give it in each item of certificates instead."
                % given[0], given[0])
        if params.get("return_private_key"):
            raise ConfigurationError("return_private_key is not available with certificates, whose results never"
                                     " hold a key: give privatekey_dest in the items instead.", "return_private_key")
        if not batch:
            raise ConfigurationError("certificates is empty; list at least one certificate.", "certificates")
        paths = {}
        for index, entry in enumerate(batch):
            where = "certificates[%d]: " % index
            kind, value = _identifier(entry, where)
            dests = destinations(entry, where)
            for path in dests.values():
                if path in paths:
                    raise ConfigurationError("%s%s is already written for certificates[%d]; give each file its own"
                                             " path." % (where, path, paths[path]), "certificates")
                paths[path] = index
            items.append({"name": entry.get("name") or str(value), kind: value, "dests": dests})
        archives = _check_archives(params.get("archives"), items, paths)
    else:
        if params.get("archives") is not None:
            raise ConfigurationError("archives bundles the certificates of certificates: give certificates too.",
                                     "archives")
        kind, value = _identifier(params, "")
        items.append({kind: value, "dests": destinations(params)})
        archives = []
    return {
        "batch": batch is not None,
        "items": items,
        "archives": archives,
        "wait": bool(params.get("wait")),
        "wait_for": wait_for,
        "wanted_phases": set(ORDER_PHASES.get(state, state) for state in wait_for),
        "wait_timeout": _positive(params, "wait_timeout", 900),
        "poll_interval": poll_interval,
        "poll_interval_max": poll_interval_max,
        "return_private_key": bool(params.get("return_private_key")),
        "modes": file_modes(params),
    }


def _check_archives(archives, items, paths):
    """The ``archives`` of a batch: each a new file, whose members name items of certificates
    (by name, unique) and one directory each."""
    checked = []
    names = [item["name"] for item in items]
    for index, archive in enumerate(archives or []):
        where = "archives[%d]: " % index
        if not archive.get("dest"):
            raise ConfigurationError("%sdest is required: the path of the archive to write." % where, "archives")
        dest = os.path.abspath(archive["dest"])
        if not os.path.isdir(os.path.dirname(dest)) or os.path.isdir(dest):
            raise ConfigurationError("%sdest: %s must be a file in an existing directory." % (where, dest), "archives")
        if dest in paths:
            raise ConfigurationError("%s%s is already written for %s; give each file its own path." % (
                where, dest, "certificates[%d]" % paths[dest] if isinstance(paths[dest], int) else paths[dest]),
                "archives")
        paths[dest] = "archives[%d]" % index
        members, directories = [], set()
        for position, member in enumerate(archive.get("members") or []):
            at = "%smembers[%d]: " % (where, position)
            name, directory = member.get("certificate"), check_archive_directory(member.get("dir"), at)
            if names.count(name) != 1:
                raise ConfigurationError(
                    "%scertificate %r must be the name of exactly one item of certificates (%d are)." % (
                        at, name, names.count(name)), "archives")
            if directory in directories:
                raise ConfigurationError("%sdir %s is already in this archive." % (at, directory), "archives")
            directories.add(directory)
            members.append({"certificate": name, "dir": directory})
        if not members:
            raise ConfigurationError("%smembers is empty; list the certificates to bundle." % where, "archives")
        checked.append({"dest": dest, "members": members})
    return checked


def _epoch(iso_time):
    """Seconds since the epoch of an ISO 8601 UTC time; 0 when unknown (an archive's mtime only)."""
    try:
        return calendar.timegm(time.strptime(iso_time, "%Y-%m-%dT%H:%M:%SZ"))
    except (TypeError, ValueError):
        return 0


def _write_archives(wanted, tracked, writer, check_mode, diff):
    """Write each archive of the batch with the certificates of its members that were issued.

    A member whose certificate failed or is not issued is left out (listed in ``missing``),
    so one domain's failure does not keep the others from their hosts. An archive left with
    no member is not written.
    """
    by_name = dict((entry.item["name"], entry) for entry in tracked)
    results = []
    for archive in wanted["archives"]:
        members, missing = [], []
        for member in archive["members"]:
            entry = by_name[member["certificate"]]
            if entry.error or not entry.view or entry.view["phase"] != "issued":
                missing.append(member["dir"])
                continue
            members.append((member["dir"], material(entry.view, entry.private_key), _epoch(entry.view["not_before"])))
        result = {"dest": archive["dest"], "dirs": [member[0] for member in members], "missing": missing,
                  "changed": False, "failed": False, "msg": ""}
        if members:
            try:
                result["changed"] = write_archive(archive["dest"], members, writer, check_mode=check_mode, diff=diff)
            except AlicloudCasError as error:
                result.update(failed=True, msg="Writing the archive failed: %s" % error)
        results.append(result)
    return results


def _order_domain(item):
    try:
        return normalize_domain(item.get("Domain") or "")
    except ConfigurationError:
        return None


def locate_order(cas, order_id=None, domain=None):
    """The list item of the order asked for: by id, or the newest for a domain.

    By id, None is returned when the order is not in the CPACK list; it may still be
    described, only its domain is then unknown.
    """
    if domain is not None:
        orders = cas.orders_for_domain(domain)
        if not orders:
            raise OrderNotFoundError(
                "No certificate order of this account is for %s. Submit one with alicloud.cas.certificate_request."
                % domain)
        return orders[0]
    for item in cas.list_orders():
        if str(item.get("OrderId")) == str(order_id):
            return item
    return None


def _for(domain):
    return " for %s" % domain if domain else ""


class _OrderRequest:
    """A V1.0 order, read with DescribeCertificateState (which also carries the certificate and key)."""

    source = "package"

    def __init__(self, cas, order_id, item=None, domain=None):
        self.cas = cas
        self.order_id = order_id
        self.item = item
        self.domain = domain or (_order_domain(item) if item else None)

    def read(self):
        """``(view, private_key)``: the normalised state, and the key apart."""
        state = self.cas.describe_state(self.order_id)
        view = {"source": self.source, "order_id": self.order_id, "instance_id": None, "domain": self.domain,
                "order": normalize_order(self.item) if self.item else None}
        view.update(normalize_state(state, self.domain))
        if view["certificate_id"] is not None:
            # Issued: one more call, for the identifier (see CasClient.certificate_identifier). An
            # issued order is settled, so the poller reads it, and asks this, once.
            view["certificate_identifier"] = self.cas.certificate_identifier(view["certificate_id"])
        view["validations"] = [view["validation"]] if view["validation"] else []
        view["domains"] = [self.domain] if self.domain else []
        return view, state.get("PrivateKey") or None

    def failure(self, view, wait_for):
        status = view["status"]
        if status == "verify_fail":
            return ("Order %s%s failed: DescribeCertificateState says Type verify_fail (%s). Remove it with"
                    " alicloud.cas.certificate_request state=absent and submit a new one, or add verify_fail to"
                    " wait_for to accept this state." % (self.order_id, _for(self.domain),
                                                         STATUS_MEANINGS["verify_fail"]))
        return ("Order %s%s reached status %s (%s), which it will not leave by itself, while waiting for %s."
                % (self.order_id, _for(self.domain), status, STATUS_MEANINGS[status], ", ".join(wait_for)))

    def timeout(self, view, wait_for, seconds):
        status = view["status"]
        return ("Timed out after %d s (wait_timeout) waiting for order %s%s to reach %s; its last status is %s"
                " (%s). The result holds that last state." % (
                    seconds, self.order_id, _for(self.domain), ", ".join(wait_for), status,
                    STATUS_MEANINGS.get(status, STATUS_MEANINGS["unknow"])))


class _InstanceRequest:
    """A V2.0 instance, read with GetInstanceDetail; once issued, the PEM comes from
    GetUserCertificateDetail(CertId=CertificateId)."""

    source = "instance"

    def __init__(self, instances, instance_id):
        self.instances = instances
        self.instance_id = instance_id
        self.domain = None

    def read(self):
        detail = self.instances.instance(self.instance_id)
        if detail is None:
            raise OrderNotFoundError(
                "Instance %s does not exist in this account (GetInstanceDetail says NotFound). Check instance_id,"
                " and site for an international-site account; alicloud.cas.certificate_instance_info lists the"
                " instances." % self.instance_id)
        self.domain = detail["domain"]
        validations = detail["validations"] or []
        view = {"source": self.source, "order_id": None, "instance_id": self.instance_id, "domain": detail["domain"],
                "domains": detail["domains"], "instance": detail, "status": detail["status"],
                "status_meaning": detail["phase_meaning"], "phase": detail["phase"],
                "phase_meaning": detail["phase_meaning"], "validations": validations,
                "validation": validations[0] if validations else None, "certificate": None, "chain": None,
                "fullchain": None, "not_before": detail["certificate_not_before"],
                "not_after": detail["certificate_not_after"], "cert_id": None, "certificate_id": None,
                "certificate_identifier": None}
        private_key = None
        if detail["phase"] == "issued" and detail["certificate_id"]:
            certificate, private_key = self.instances.download(detail["certificate_id"])
            if certificate is None:
                raise AlicloudCasError(
                    "Instance %s says certificate %s is issued, but GetUserCertificateDetail does not know it."
                    " Run the task again in a minute; if it persists, check the certificate in the CAS console."
                    % (self.instance_id, detail["certificate_id"]))
            view.update(certificate=certificate["certificate"], chain=certificate["chain"],
                        fullchain=certificate["fullchain"], cert_id=str(detail["certificate_id"]),
                        certificate_id=detail["certificate_id"],
                        certificate_identifier=detail["certificate_identifier"] or certificate["certificate_identifier"],
                        not_before=certificate["not_before"] or view["not_before"],
                        not_after=certificate["not_after"] or view["not_after"])
        return view, private_key

    def _describe(self, view):
        instance = view["instance"]
        return "GetInstanceDetail says Status %s, CertificateStatus %s (%s)" % (
            instance["status"], instance["certificate_status"] or "none", view["phase_meaning"])

    def failure(self, view, wait_for):
        return ("Instance %s%s reached phase %s, which it will not leave by itself, while waiting for %s: %s."
                % (self.instance_id, _for(self.domain), view["phase"], ", ".join(wait_for), self._describe(view)))

    def timeout(self, view, wait_for, seconds):
        return ("Timed out after %d s (wait_timeout) waiting for instance %s%s to reach %s; its last phase is %s:"
                " %s. The result holds that last state." % (
                    seconds, self.instance_id, _for(self.domain), ", ".join(wait_for), view["phase"],
                    self._describe(view)))


def _recency(candidate):
    """How recent a request for a domain is, as a sortable string: an application under way
    is the newest; an order counts from its purchase, an instance from its certificate."""
    kind, value = candidate
    if kind == "order":
        return iso_from_ms(value.get("BuyDate")) or ""
    if value["status"] == "pending":
        return "~"  # sorts after every ISO date
    return value["certificate_not_before"] or ""


def _locate_domain(cas, instances, domain):
    """The newest request for ``domain`` in either flow: a V1.0 order or a V2.0 instance holding it."""
    candidates = [("order", item) for item in cas.orders_for_domain(domain)[:1]]
    candidates += [("instance", item) for item in instances.list_instances(domain=domain)
                   if item["phase"] != "inactive"]  # an unused instance holds no request
    if not candidates:
        raise OrderNotFoundError(
            "No certificate order or V2.0 instance of this account is for %s. Submit one with"
            " alicloud.cas.certificate_request." % domain)
    kind, value = max(candidates, key=_recency)
    if kind == "order":
        return _OrderRequest(cas, value["OrderId"], value, domain)
    return _InstanceRequest(instances, value["instance_id"])


def _request_for(item, cas, instances, list_order):
    if "instance_id" in item:
        return _InstanceRequest(instances, item["instance_id"])
    if "domain" in item:
        return _locate_domain(cas, instances, item["domain"])
    listed = list_order(item["order_id"])
    return _OrderRequest(cas, listed["OrderId"] if listed else item["order_id"], listed)


class _Tracked:
    """One request under the poller: its last view, the key read with it, and how it ended."""

    def __init__(self, item, request=None, error=None):
        self.item = item
        self.request = request
        self.error = error  # str: the item failed with this message
        self.view = None
        self.private_key = None
        self.polls = 0
        self.done = error is not None

    def poll(self, wanted, hide_secret):
        view, private_key = self.request.read()
        self.polls += 1
        if private_key and hide_secret:
            hide_secret(private_key)
        self.view, self.private_key = view, private_key
        if not wanted["wait"] or view["phase"] in wanted["wanted_phases"]:
            self.done = True
        elif view["phase"] in FINAL_PHASES:
            self.done = True
            self.error = self.request.failure(view, wanted["wait_for"])


def _poll_all(tracked, wanted, clock, sleep, hide_secret, isolate):
    """Poll every request with ONE capped back-off until each is settled or wait_timeout runs out.

    A request stops being polled when it is settled. ``isolate``: an API error fails only
    its own request (batch mode); otherwise it propagates.
    """
    started = clock()
    interval = wanted["poll_interval"]
    while True:
        for entry in tracked:
            if entry.done:
                continue
            try:
                entry.poll(wanted, hide_secret)
            except AlicloudCasError as error:
                if not isolate:
                    raise
                entry.done, entry.error = True, str(error)
        pending = [entry for entry in tracked if not entry.done]
        if not pending:
            break
        remaining = wanted["wait_timeout"] - (clock() - started)
        if remaining <= 0:
            for entry in pending:
                entry.done = True
                entry.error = entry.request.timeout(entry.view, wanted["wait_for"], wanted["wait_timeout"])
            break
        sleep(min(interval, remaining))
        interval = min(interval * 2, wanted["poll_interval_max"])
    return round(clock() - started, 1)


def _save(entry, wanted, writer, check_mode):
    """Write the files of an issued certificate; ``(files, changed, diff)``. Nothing before issuance."""
    dests = entry.item["dests"]
    if not dests or entry.error or entry.view["phase"] != "issued":
        return {}, False, None
    if writer is None:
        raise ConfigurationError("This run cannot write files.", "cert_dest")
    contents = material(entry.view, entry.private_key)
    return write_files(dests, contents, writer, check_mode=check_mode, modes=wanted["modes"])


def download(params, cas_factory, clock=time.monotonic, sleep=time.sleep, writer=None, check_mode=False,
             hide_secret=None, diff_mode=False):
    """certificate_download: wait for one request (or, with ``certificates``, several) and write
    its files or the archives; as ``request_info``, but it must have something to write, and a
    certificate that is not issued when the run ends is named in a warning."""
    wanted = check_request_info_options(params)
    if not wanted["archives"] and not any(item["dests"] for item in wanted["items"]):
        raise ConfigurationError(
            "Nothing to write: give %s%s. alicloud.cas.certificate_request_info reads a request without writing."
            % (", ".join(option for _kind, option in FILE_OPTIONS),
               " in the items of certificates, or archives" if wanted["batch"] else ""),
            "certificates" if wanted["batch"] else "cert_dest")
    result = _read_and_write(wanted, cas_factory, clock, sleep, writer, check_mode, hide_secret, diff_mode)
    unissued = [item for item in result.get("certificates", [result]) if not item.get("failed")
                and item.get("phase") != "issued"]
    if unissued:
        result["warnings"] = ["Nothing was written for %s: it is %s, not issued. Set wait=true to wait for it."
                              % (item.get("name") or item.get("domain") or item.get("instance_id")
                                 or item.get("order_id"), item.get("phase")) for item in unissued]
    return result


def request_info(params, cas_factory, clock=time.monotonic, sleep=time.sleep, writer=None, check_mode=False,
                 hide_secret=None, diff_mode=False):
    """Describe one request (or, with ``certificates``, several), optionally polling with a capped
    back-off until each reaches a wanted phase, and write the files asked for.

    ``writer`` writes files (see _certificate_files_write); ``hide_secret`` is told every private
    key as soon as it is read, so that it can be kept out of everything the module returns.
    """
    return _read_and_write(check_request_info_options(params), cas_factory, clock, sleep, writer, check_mode,
                           hide_secret, diff_mode)


def _read_and_write(wanted, cas_factory, clock, sleep, writer, check_mode, hide_secret, diff_mode):
    """Read (and wait for) every request of ``wanted``, then write its files and archives.

    ``diff_mode``: the result has a ``diff`` of every file and archive written (paths, content
    state and mode, never content), also when the task fails at the end."""
    cas = cas_factory()
    instances = CasInstancesClient(cas.rpc, sleep=sleep, clock=clock)
    orders = {}

    def list_order(order_id):
        # One list read per run, whatever the number of orders asked for.
        if "listed" not in orders:
            orders["listed"] = {str(item.get("OrderId")): item for item in cas.list_orders()}
        return orders["listed"].get(str(order_id))

    if not wanted["batch"]:
        return _single(wanted, _request_for(wanted["items"][0], cas, instances, list_order), clock, sleep, writer,
                       check_mode, hide_secret, diff_mode)
    tracked = []
    for item in wanted["items"]:
        if "order_id" in item:  # the domain only anchors a validation record; a batch lists no orders for it
            tracked.append(_Tracked(item, _OrderRequest(cas, item["order_id"])))
            continue
        try:
            tracked.append(_Tracked(item, _request_for(item, cas, instances, list_order)))
        except AlicloudCasError as error:
            tracked.append(_Tracked(item, error=str(error)))
    elapsed = _poll_all(tracked, wanted, clock, sleep, hide_secret, isolate=True)
    results = []
    diff = {"before": {}, "after": {}}
    for entry in tracked:
        files, changed = {}, False
        if not entry.error:
            try:
                files, changed, written = _save(entry, wanted, writer, check_mode)
            except AlicloudCasError as error:
                entry.error = "Writing the files failed: %s" % error
            else:
                for side in diff:
                    diff[side].update((written or {}).get(side, {}))
        results.append(_batch_item(entry, files, changed))
    result = {"certificates": results, "elapsed": elapsed}
    if diff_mode:
        result["diff"] = diff
    if wanted["archives"]:
        if writer is None:
            raise ConfigurationError("This run cannot write files.", "archives")
        result["archives"] = _write_archives(wanted, tracked, writer, check_mode, diff)
    for entry in tracked:
        entry.private_key = None
    result["changed"] = any(item["changed"] for item in results + result.get("archives", []))
    failed = [item["name"] for item in results if item["failed"]]
    unwritten = [item["dest"] for item in result.get("archives", []) if item["failed"]]
    if failed or unwritten:
        reasons = []
        if failed:
            reasons.append("%d of %d certificates failed: %s" % (len(failed), len(results), ", ".join(failed)))
        if unwritten:
            reasons.append("%d of %d archives could not be written: %s" % (
                len(unwritten), len(wanted["archives"]), ", ".join(unwritten)))
        writes = wanted["archives"] or any(item["dests"] for item in wanted["items"])
        raise BatchError("%s. Each item's msg says why%s." % (
            "; ".join(reasons), "; the files of the others were written" if writes else ""), result)
    return result


def _batch_item(entry, files, changed):
    view = entry.view or {}
    request = entry.request
    return {
        "name": entry.item["name"],
        "source": view.get("source") or (request.source if request else None),
        "order_id": view.get("order_id") or entry.item.get("order_id"),
        "instance_id": view.get("instance_id") or entry.item.get("instance_id"),
        "domain": view.get("domain") or entry.item.get("domain"),
        "status": view.get("status"),
        "phase": view.get("phase"),
        "phase_meaning": view.get("phase_meaning"),
        "not_before": view.get("not_before"),
        "not_after": view.get("not_after"),
        "certificate_id": view.get("certificate_id"),
        "certificate_identifier": view.get("certificate_identifier"),
        "cert_id": view.get("cert_id"),  # deprecated, removed in 1.0.0
        "files": files,
        "changed": changed,
        "failed": bool(entry.error),
        "msg": entry.error or "",
        "polls": entry.polls,
    }


def _single(wanted, request, clock, sleep, writer, check_mode, hide_secret, diff_mode):
    entry = _Tracked(wanted["items"][0], request)
    elapsed = _poll_all([entry], wanted, clock, sleep, hide_secret, isolate=False)
    result = dict(entry.view, changed=False, elapsed=elapsed, polls=entry.polls)
    if entry.error:
        raise WaitError(entry.error, result)
    files, changed, diff = _save(entry, wanted, writer, check_mode)
    if entry.item["dests"]:
        result.update(files=files, changed=changed)
        if diff and diff_mode:
            result["diff"] = diff
    if wanted["return_private_key"]:
        result["private_key"] = entry.private_key
    return result


def order_info(params, cas_factory):
    """Every order (all pages) matching the filters, normalised."""
    domain = params.get("domain")
    keyword = params.get("keyword")
    if domain is not None and keyword is not None:
        raise ConfigurationError("Give at most one of domain and keyword.", "domain")
    if domain is not None:
        domain = normalize_domain(domain)
    order_type = params.get("order_type") or "CPACK"
    cas = cas_factory()
    items = cas.list_orders(keyword=base_domain(domain) if domain else keyword,
                            status=params.get("status"), order_type=order_type)
    certificates = order_type in ("CERT", "UPLOAD")
    if domain is not None:
        items = [item for item in items if _item_names_domain(item, domain, certificates)]
    normalize = normalize_certificate_item if certificates else normalize_order
    return {"changed": False, "orders": [normalize(item) for item in items]}


def _item_names_domain(item, domain, certificate):
    if not certificate:
        return same_domain(item.get("Domain"), domain)
    names = [item.get("CommonName")] + (item.get("Sans") or "").split(",")
    return any(same_domain(name.strip(), domain) for name in names if name and name.strip())


INSTANCE_STATUSES = ("inactive", "pending", "normal", "willExpire", "expired", "refund", "closed")
INSTANCE_TYPES = ("TEST", "BUY")
CERTIFICATE_STATUSES = ("issued", "revoked", "willExpire", "expired")


def instance_info(params, cas_factory):
    """One V2.0 instance in detail (GetInstanceDetail), or every instance matching the filters (all pages)."""
    instance_id = params.get("instance_id")
    filters = [name for name in ("status", "instance_type", "domain", "keyword", "certificate_status")
               if params.get(name) is not None]
    if instance_id is not None and filters:
        raise ConfigurationError("instance_id reads one instance; %s filters a listing. Give one or the other."
                                 % filters[0], filters[0])
    for option, choices in (("status", INSTANCE_STATUSES), ("instance_type", INSTANCE_TYPES),
                            ("certificate_status", CERTIFICATE_STATUSES)):
        if params.get(option) is not None and params[option] not in choices:
            raise ConfigurationError("%s must be one of %s, got %s." % (option, ", ".join(choices), params[option]),
                                     option)
    domain = normalize_domain(params["domain"]) if params.get("domain") is not None else None
    instances = CasInstancesClient(cas_factory().rpc)
    if instance_id is not None:
        detail = instances.instance(instance_id)
        return {"changed": False, "instances": [detail] if detail else []}
    return {"changed": False, "instances": instances.list_instances(
        status=params.get("status"), instance_type=params.get("instance_type"), keyword=params.get("keyword"),
        certificate_status=params.get("certificate_status"), domain=domain)}


def package_info(params, cas_factory):
    """What the account can still issue: V1.0 quota of each asked product code (all known codes by
    default) beside its V2.0 instances (GetInstanceSummary per type, and the unused instances listed)."""
    codes = []
    for code in params.get("product_codes") or PACKAGE_PRODUCT_CODES:
        if code not in codes:
            codes.append(code)
    cas = cas_factory()
    packages = [cas.package_state(code) for code in codes]
    result = {"changed": False, "packages": packages}
    if params.get("include_instances") is False:
        return result
    instances = CasInstancesClient(cas.rpc)
    unused = instances.list_instances(status="inactive")
    summaries = []
    for instance_type in INSTANCE_TYPES:
        summary = instances.summary(instance_type)
        mine = [item for item in unused if item["instance_type"] == instance_type]
        summary["inactive_listed"] = len(mine)
        summary["inactive_wildcard"] = len([item for item in mine if int(item["wildcard_domain_count"] or 0) > 0])
        summaries.append(summary)
    result["instances"] = summaries
    result["can_issue"] = {
        "package": sum(package["remaining"] for package in packages),
        "test_instances": summaries[0]["inactive_listed"],
        "paid_instances": summaries[1]["inactive_listed"],
    }
    return result
