# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""NLB (2022-04-30) TCPSSL listeners. NLB's names differ from ALB's: CertificateIds.N,
AdditionalCertificateIds.N, DisassociateAdditionalCertificatesWithListener, CertType, and a
page of at most 50; its SDK sends the parameters in the form body (the client decides how)."""

from __future__ import annotations

from ansible_collections.alicloud.cas.plugins.module_utils._deployment._listener import ListenerAdapter

NLB_VERSION = "2022-04-30"


class NlbAdapter(ListenerAdapter):
    product = "nlb"
    certificate_protocols = ("TCPSSL",)
    dissociate_action = "DisassociateAdditionalCertificatesWithListener"
    list_type_parameter = "CertType"
    page_size = 50
    sends_region = True

    def default_certificates(self, attributes):
        return list(attributes.get("CertificateIds") or [])

    def default_parameters(self, identifier):
        return {"CertificateIds.1": identifier}

    def additional_parameters(self, identifiers):
        return dict(("AdditionalCertificateIds.%d" % index, identifier)
                    for index, identifier in enumerate(identifiers, 1))


ADAPTERS = {"nlb": NlbAdapter}
