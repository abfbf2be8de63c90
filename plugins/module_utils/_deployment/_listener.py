# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""What the ALB and NLB adapters share. Both products refer to a CAS certificate by its
identifier (``<id>-<region>``), keep one default and any number of additional (SNI)
certificates per listener, and apply every write asynchronously: the listener is
``Configuring`` for a while and refuses other writes meanwhile. So every write is preceded and
followed by a wait (bounded by ``wait_timeout``) until the listener is no longer Configuring.

The subclasses (_alb, _nlb) only state their differences as data: action and parameter
names, the protocols that hold a certificate, the page bound, whether RegionId is sent.
"""

from __future__ import annotations

import re
import time
import uuid

from ansible_collections.alicloud.cas.plugins.module_utils._deployment._base import (
    Adapter,
    DeploymentRefusedError,
    Served,
)
from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlibabaCloudError
from ansible_collections.alicloud.cas.plugins.module_utils._transport import RetryPolicy

CONFIGURING = "Configuring"
ASSOCIATED = "Associated"
ASSOCIATING = "Associating"
SERVICE_MANAGED = "OperationDenied.ServiceManagedResource"
# ALB spells it IncorrectStatus.Listener, NLB IncorrectStatus.listener.
INCORRECT_STATUS = "incorrectstatus.listener"
_IDENTIFIER = re.compile(r"^(\d+)-")


def certificate_id_of(identifier):
    """The CAS id (int) in an identifier ``<id>-<region>``, or None for anything else."""
    match = _IDENTIFIER.match(identifier or "")
    return int(match.group(1)) if match else None


class ListenerAdapter(Adapter):
    """An ALB or NLB listener target: ``region``, ``listener_id`` and ``additional``."""

    required_options = ("region", "listener_id")
    optional_options = ("additional",)

    # Product data, set by the subclasses.
    certificate_protocols = ()
    dissociate_action = None
    list_type_parameter = None  # ListListenerCertificates' certificate-type parameter
    page_size = 50  # the largest MaxResults the product accepts
    sends_region = False  # NLB takes RegionId on every call; ALB has none (its endpoint is regional)
    dissociate_batch = 10  # certificates per dissociation call
    # Seconds between two reads while a listener is Configuring: the first re-read after
    # ``first_poll`` (most windows are short), each later one twice as late, up to
    # ``poll_interval`` (class attributes so that tests against a fast emulator can lower them).
    first_poll = 0.25
    poll_interval = 5.0
    # Times one write is sent again, with its ClientToken, after an outcome the transport
    # could not confirm.
    max_resends = 2

    def default_certificates(self, attributes):
        """The default certificate identifiers in a GetListenerAttribute answer."""
        raise NotImplementedError

    def default_parameters(self, identifier):
        """UpdateListenerAttribute's parameters that set the default certificate."""
        raise NotImplementedError

    def additional_parameters(self, identifiers):
        """Associate/dissociate parameters naming ``identifiers``."""
        raise NotImplementedError

    # --- Adapter interface -----------------------------------------------------------------
    def identity(self, target):
        return (self.product, target["region"], target["listener_id"], bool(target.get("additional")))

    def covered_names(self, target):
        return ()

    def describe(self, target):
        return "%s listener %s (%s)" % (self.product, target["listener_id"], target["region"])

    def lane(self, target, served):
        """Writes to one load balancer are serialized (a write may put the whole load balancer
        in Configuring); different load balancers are written at the same time. A listener
        whose load balancer is not reported shares its region's lane."""
        return (self.product, target["region"], served.detail.get("load_balancer_id"))

    def read(self, target):
        attributes = self._attributes(target["region"], target["listener_id"])
        protocol = attributes.get("ListenerProtocol")
        if protocol not in self.certificate_protocols:
            raise DeploymentRefusedError(
                "%s is a %s listener, which holds no certificate; only %s listeners do. "
                "Name a listener of that protocol in listener_id." % (
                    self.describe(target), protocol, " or ".join(self.certificate_protocols)))
        defaults = self.default_certificates(attributes)
        identifier = defaults[0] if defaults else None
        detail = {"protocol": protocol, "load_balancer_id": attributes.get("LoadBalancerId")}
        detail.update(self.paired_detail(target, attributes))
        served = Served(certificate_id=certificate_id_of(identifier), product_reference=identifier, detail=detail)
        if target.get("additional"):
            served.additional = [
                Served(certificate_id=certificate_id_of(entry.get("CertificateId")),
                       product_reference=entry.get("CertificateId"))
                for entry in self._certificates(target)
                if not entry.get("IsDefault") and entry.get("Status") == ASSOCIATED]
        return served

    def in_sync(self, target, served, certificate):
        wanted = certificate.certificate_identifier
        if target.get("additional"):
            # The default certificate counts: it is an Associated entry of the listener too.
            here = served.product_reference == wanted or any(
                entry.product_reference == wanted for entry in served.additional or ())
            return here and self.paired_in_sync(served, wanted)
        return served.product_reference == wanted and self.paired_in_sync(served, wanted)

    def apply(self, plan):
        if plan.target.get("additional"):
            return self._apply_additional(plan)
        return self._apply_default(plan)

    # --- hooks for a listener paired with another (ALB's QUIC) ------------------------------
    def paired_detail(self, target, attributes):
        return {}

    def paired_in_sync(self, served, wanted):
        return True

    def after_default_write(self, plan):
        return {}

    def after_additional_write(self, plan, dissociated):
        return {}

    # --- the writes ------------------------------------------------------------------------
    def _apply_default(self, plan):
        target = plan.target
        wanted = plan.certificate.certificate_identifier
        attributes = self.wait_ready(target["region"], target["listener_id"])
        if wanted not in self.default_certificates(attributes):
            self.set_default(target["region"], target["listener_id"], wanted)
            self.wait_ready(target["region"], target["listener_id"])
        return self.after_default_write(plan)

    def set_default(self, region, listener_id, wanted):
        """UpdateListenerAttribute of one listener, confirmed by a fresh read if its answer is lost."""
        def applied():
            if wanted in self.default_certificates(self._attributes(region, listener_id)):
                return {"confirmed": True}
            return None
        self._write(region, listener_id, "UpdateListenerAttribute", self.default_parameters(wanted), applied)

    def _apply_additional(self, plan):
        target = plan.target
        wanted = plan.certificate.certificate_identifier
        old = [entry.product_reference for entry in plan.dissociate if entry.product_reference != wanted]
        self.associate_then_dissociate(target["region"], target["listener_id"], wanted, old)
        result = {"dissociated": old} if old else {}
        result.update(self.after_additional_write(plan, old))
        return result

    def associate_then_dissociate(self, region, listener_id, wanted, old):
        """Associate ``wanted`` with the listener (unless it is there already), wait until it is
        Associated, then dissociate the identifiers ``old``, a batch at a time."""
        where = {"region": region, "listener_id": listener_id}
        self.wait_ready(region, listener_id)

        def associated():
            status = self._status_of(where, wanted)
            return {"confirmed": True} if status in (ASSOCIATING, ASSOCIATED) else None
        if self._status_of(where, wanted) not in (ASSOCIATING, ASSOCIATED):
            self._write(region, listener_id, "AssociateAdditionalCertificatesWithListener",
                        self.additional_parameters([wanted]), associated)
        self.wait_ready(region, listener_id, until_associated=(where, wanted))
        for start in range(0, len(old), self.dissociate_batch):
            batch = old[start:start + self.dissociate_batch]

            def dissociated(batch=batch):
                listed = {entry.get("CertificateId"): entry.get("Status") for entry in self._certificates(where)}
                return {"confirmed": True} if all(listed.get(i) in (None, "Diassociating", "Dissociating")
                                                  for i in batch) else None
            self._write(region, listener_id, self.dissociate_action, self.additional_parameters(batch), dissociated)
            self.wait_ready(region, listener_id)

    def _write(self, region, listener_id, action, parameters, applied):
        """One write with one ClientToken, kept when the transport retries it and when the
        listener turned out to be Configuring again (someone else's write): then wait and
        send the same request again."""
        params = dict(parameters, ListenerId=listener_id, ClientToken=str(uuid.uuid4()))
        if self.sends_region:
            params["RegionId"] = region
        name = self.describe({"region": region, "listener_id": listener_id})
        deadline = self._clock() + self.wait_timeout
        resends = 0
        while True:
            try:
                return self.clients(region).call(action, params, reconcile=applied)
            except AlibabaCloudError as error:
                if error.code == SERVICE_MANAGED:
                    raise DeploymentRefusedError(
                        "%s is managed by Container Service for Kubernetes (ACK) and refuses %s; change its "
                        "certificate through the ACK Ingress (e.g. its certificate annotation or secret) "
                        "instead, or drop this target." % (name, action))
                configuring = (error.code or "").lower() == INCORRECT_STATUS
                # An outcome the transport could not confirm by a fresh read (a 5xx, a lost
                # answer): sending the same request again is safe, because the product answers
                # a repeated ClientToken with the first answer and no second effect.
                unknown = RetryPolicy.is_retryable(error) and resends < self.max_resends
                if not (configuring or unknown) or self._clock() >= deadline:
                    raise
                resends += 0 if configuring else 1
            self.wait_ready(region, listener_id)

    # --- reads and waits -------------------------------------------------------------------
    def wait_ready(self, region, listener_id, until_associated=None):
        """The listener's attributes once it is no longer Configuring (and, with
        ``until_associated=(target, identifier)``, once that certificate is Associated),
        bounded by ``wait_timeout``; a DeploymentRefusedError naming the listener when the
        bound is reached."""
        deadline = self._clock() + self.wait_timeout
        delay = min(self.first_poll, self.poll_interval)
        while True:
            attributes = self._attributes(region, listener_id)
            ready = attributes.get("ListenerStatus") != CONFIGURING
            if ready and until_associated is not None:
                ready = self._status_of(*until_associated) == ASSOCIATED
            if ready:
                return attributes
            left = deadline - self._clock()
            if left <= 0:
                name = self.describe({"region": region, "listener_id": listener_id})
                if attributes.get("ListenerStatus") != CONFIGURING:
                    raise DeploymentRefusedError(
                        "%s: certificate %s is not Associated after %s s (wait_timeout). Run again later, or "
                        "raise wait_timeout." % (name, until_associated[1], self.wait_timeout))
                raise DeploymentRefusedError(
                    "%s is still Configuring after %s s (wait_timeout); another change of this load balancer "
                    "may be in progress. Run again later, or raise wait_timeout." % (name, self.wait_timeout))
            self._sleep(min(delay, left))
            delay = min(delay * 2, self.poll_interval)

    def _attributes(self, region, listener_id):
        params = {"ListenerId": listener_id}
        if self.sends_region:
            params["RegionId"] = region
        return self.clients(region).call("GetListenerAttribute", params)

    def _certificates(self, target):
        """Every server-certificate entry of the listener, over all pages."""
        entries = []
        token = None
        while True:
            params = {"ListenerId": target["listener_id"], self.list_type_parameter: "Server",
                      "MaxResults": self.page_size}
            if self.sends_region:
                params["RegionId"] = target["region"]
            if token:
                params["NextToken"] = token
            page = self.clients(target["region"]).call("ListListenerCertificates", params)
            entries.extend(page.get("Certificates") or [])
            token = page.get("NextToken")
            if not token:
                return entries

    def _status_of(self, target, identifier):
        for entry in self._certificates(target):
            if entry.get("CertificateId") == identifier:
                return entry.get("Status")
        return None

    def _sleep(self, seconds):
        (self.sleep or time.sleep)(seconds)

    def _clock(self):
        return (self.clock or time.monotonic)()
