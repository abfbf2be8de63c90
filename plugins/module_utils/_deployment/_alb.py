# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""ALB (2020-06-16) listeners: HTTPS and QUIC. An HTTPS listener may be paired with a QUIC
listener (QuicConfig); HTTP/3 clients then reach the QUIC listener, which must not be left on
the old certificate."""

from __future__ import annotations

from ansible_collections.alicloud.cas.plugins.module_utils._deployment._listener import ListenerAdapter

ALB_VERSION = "2020-06-16"


class AlbAdapter(ListenerAdapter):
    product = "alb"
    certificate_protocols = ("HTTPS", "QUIC")
    dissociate_action = "DissociateAdditionalCertificatesFromListener"
    list_type_parameter = "CertificateType"
    page_size = 100

    def default_certificates(self, attributes):
        return [entry.get("CertificateId") for entry in attributes.get("Certificates") or []]

    def default_parameters(self, identifier):
        return {"Certificates.1.CertificateId": identifier}

    def additional_parameters(self, identifiers):
        return dict(("Certificates.%d.CertificateId" % index, identifier)
                    for index, identifier in enumerate(identifiers, 1))

    # --- the QUIC listener paired with an HTTPS listener ----------------------------------
    # UNCONFIRMED: whether a paired QUIC listener keeps certificates of its own or serves the
    # HTTPS listener's. Both are handled the same way: after the HTTPS listener is written,
    # the QUIC listener is read, and written too only when it does not serve the certificate
    # yet. That holds for the default certificate and, with additional: true, for an
    # additional one (old ones are dissociated there too, when the QUIC listener holds them).
    # The emulator's quic_keeps_own_certificate switch offers both behaviours.
    def paired_detail(self, target, attributes):
        quic = attributes.get("QuicConfig") or {}
        if attributes.get("ListenerProtocol") != "HTTPS" or not quic.get("QuicUpgradeEnabled") \
                or not quic.get("QuicListenerId"):
            return {}
        quic_id = quic["QuicListenerId"]
        if target.get("additional"):
            listed = self._certificates({"region": target["region"], "listener_id": quic_id})
            return {"quic_listener_id": quic_id, "quic_certificates": [
                entry.get("CertificateId") for entry in listed if entry.get("Status") in ("Associating", "Associated")]}
        paired = self._attributes(target["region"], quic_id)
        defaults = self.default_certificates(paired)
        return {"quic_listener_id": quic_id, "quic_certificate": defaults[0] if defaults else None}

    def paired_in_sync(self, served, wanted):
        if not served.detail.get("quic_listener_id"):
            return True
        if "quic_certificates" in served.detail:
            return wanted in served.detail["quic_certificates"]
        return served.detail.get("quic_certificate") == wanted

    def after_default_write(self, plan):
        quic_id = plan.served.detail.get("quic_listener_id")
        if not quic_id:
            return {}
        region = plan.target["region"]
        wanted = plan.certificate.certificate_identifier
        attributes = self.wait_ready(region, quic_id)
        if wanted in self.default_certificates(attributes):
            return {"quic": "QUIC listener %s (paired with this HTTPS listener) serves the certificate; "
                            "not written (it follows the HTTPS listener, or had it already)." % quic_id}
        self.set_default(region, quic_id, wanted)
        self.wait_ready(region, quic_id)
        return {"quic": "QUIC listener %s (paired with this HTTPS listener) keeps a certificate of its own; "
                        "updated it too." % quic_id}

    def after_additional_write(self, plan, dissociated):
        quic_id = plan.served.detail.get("quic_listener_id")
        if not quic_id:
            return {}
        region = plan.target["region"]
        wanted = plan.certificate.certificate_identifier
        where = {"region": region, "listener_id": quic_id}
        self.wait_ready(region, quic_id)
        listed = dict((entry.get("CertificateId"), entry.get("Status")) for entry in self._certificates(where))
        old = [identifier for identifier in dissociated if identifier in listed]
        if listed.get(wanted) in ("Associating", "Associated") and not old:
            return {"quic": "QUIC listener %s (paired with this HTTPS listener) serves the certificate as an "
                            "additional one; not written (it follows the HTTPS listener, or had it already)."
                            % quic_id}
        self.associate_then_dissociate(region, quic_id, wanted, old)
        return {"quic": "QUIC listener %s (paired with this HTTPS listener) keeps certificates of its own; "
                        "associated the certificate there too%s." % (
                            quic_id, (" and dissociated %s" % ", ".join(old)) if old else "")}


ADAPTERS = {"alb": AlbAdapter}
