#!/usr/bin/python
# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_deployment
short_description: Point CDN, DCDN, CLB, ALB and NLB targets at a CAS certificate
version_added: 0.5.0
description:
  - Makes sure each target serves one certificate of Alibaba Cloud SSL Certificates Service (CAS). A renewal gives a
    new certificate id, and every product keeps serving the old one until it is pointed at the new one; run this
    after each renewal, or on a schedule.
  - "Which certificate: O(certificate_id), or O(domain) for the newest issued, unexpired certificate that covers the
    domain and every target (issued orders, V2.0 instances and uploads alike; SM2 certificates and those without a
    private key in CAS are left out; ties go to the latest C(NotBefore), then C(NotAfter), then the highest id).
    RV(certificate.selected) says why it was chosen."
  - "For each target the module reads what it serves now, compares it with the certificate, and writes only on a
    difference. CDN and DCDN compare the CAS id, its region and HTTPS on; CLB the server certificate that wraps the
    CAS certificate; ALB and NLB the certificate identifier (C(<id>-<region>))."
  - "Safe by construction: a certificate that does not cover a target's domain is refused before any write (wildcard
    rules apply); a listener without a domain keeps its certificate unless the new one covers every name of it or
    the item sets O(targets[].force=true); an expired certificate, or one not valid yet, is refused; HTTPS is never
    switched off and no other certificate is removed from a listener."
  - "Every item is checked before the first call. One target's failure stops none of the others; the task then fails
    at the end and still returns every target's outcome. Permission errors name the RAM action to grant (for example
    C(cdn:SetCdnDomainSSLCertificate), C(slb:...), C(alb:...)) and the target."
  - Reads of CAS are C(GetUserCertificateDetail) (without the PEM and key) and, with O(domain),
    C(ListCertificates). The per-product calls are described in the collection's docs/deployment.md.
author:
  - alicloud.cas contributors (@alicloud-cas)
options:
  certificate_id:
    description:
      - The CAS certificate id, for example V(12345678), or its identifier V(12345678-cn-hangzhou), whose region must
        be the one of O(site) (C(cn-hangzhou) for V(china), C(ap-southeast-1) for V(international)).
      - Exactly one of O(certificate_id) and O(domain) is required, unless O(deployments) is used.
    type: str
  domain:
    description:
      - Choose the newest issued, unexpired CAS certificate that covers this name and the domain of every target.
      - RV(certificate.selected) says which one was chosen and why.
    type: str
  wait_timeout:
    description:
      - Seconds to wait, at most, for an ALB or NLB listener to leave C(Configuring), before and after each write.
        A wait that runs out fails that target, naming the listener.
    type: int
    default: 300
  deployments:
    description:
      - Several certificates in one run, for example one per domain of the role C(alicloud.cas.dv_certificate).
      - Each item has O(deployments[].certificate_id) or O(deployments[].domain), and O(deployments[].targets).
        Errors name the item, for example C(deployments[1].targets[0].region).
      - Mutually exclusive with O(certificate_id), O(domain) and O(targets).
    type: list
    elements: dict
    suboptions:
      certificate_id:
        description: As O(certificate_id).
        type: str
      domain:
        description: As O(domain).
        type: str
      targets:
        description: As O(targets), the same keys checked the same way.
        type: list
        elements: dict
        required: true
extends_documentation_fragment:
  - alicloud.cas.connection
  - alicloud.cas.connection.cas
  - alicloud.cas.deployment
  - alicloud.cas.deployment.targets
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Only reads are made; each target's RV(targets[].changed) says whether it would be written.
  diff_mode:
    support: full
    details: Per target, the certificate served before and after, with its id, names and expiry.
  idempotent:
    description: Running the same task again reads each target and changes nothing.
    support: full
  platform:
    platforms: all
seealso:
  - module: alicloud.cas.certificate_deployment_info
  - module: alicloud.cas.certificate_request
"""

EXAMPLES = r"""
- name: Point a CDN domain and an ALB listener at the newest certificate for www.example.com
  alicloud.cas.certificate_deployment:
    domain: www.example.com
    targets:
      - product: cdn
        domain: www.example.com
      - product: alb
        region: cn-hangzhou
        listener_id: lsn-0bfucwu6ptpuyv****
  register: deployment

- name: Deploy one certificate id to a CLB listener and an NLB listener's extra certificates
  alicloud.cas.certificate_deployment:
    certificate_id: "12345678"
    targets:
      - product: clb
        region: cn-shanghai
        load_balancer_id: lb-uf6hqlv1dt6dn1****
        listener_port: 443
      - product: nlb
        region: cn-shanghai
        listener_id: lsn-bp1bpn0kn908w4nbw****
        additional: true

- name: Several certificates in one run
  alicloud.cas.certificate_deployment:
    deployments:
      - certificate_id: "12345678"
        targets:
          - product: dcdn
            domain: static.example.com
      - domain: shop.example.com
        targets:
          - product: cdn
            domain: shop.example.com
            enable_https: true
"""

RETURN = r"""
certificate:
  description:
    - The certificate deployed. Not returned with O(deployments), where each item has its own.
    - V(null) when the certificate could not be used (then every target failed saying why).
  returned: when O(deployments) is not used
  type: dict
  contains:
    certificate_id:
      description: The CAS certificate id.
      type: int
      sample: 12345678
    certificate_identifier:
      description: CAS's C(CertIdentifier), C(<id>-<region>), as ALB and NLB refer to it.
      type: str
      sample: 12345678-cn-hangzhou
    names:
      description: The DNS names the certificate covers.
      type: list
      elements: str
      sample: [www.example.com]
    not_after:
      description: When it expires, ISO 8601 UTC.
      type: str
      sample: "2027-03-01T00:00:00Z"
    selected:
      description: With O(domain), why this certificate was chosen.
      type: str
      returned: with O(domain)
targets:
  description: One entry per item of O(targets), in order.
  returned: when O(deployments) is not used
  type: list
  elements: dict
  contains:
    product:
      description: The item's product; the item's other keys are returned too.
      type: str
    changed:
      description: Whether the target was (or in check mode would be) written.
      type: bool
    failed:
      description: Whether this target failed.
      type: bool
    msg:
      description: What was done, or why it failed.
      type: str
    certificate_id:
      description: The CAS certificate id the target now serves (or would serve, in check mode).
      type: int
    previous:
      description: What the target served before, as V(null) when it could not be read.
      type: dict
      contains:
        certificate_id:
          description: The CAS certificate id, or V(null) when none (or not from CAS).
          type: int
        product_reference:
          description: The product's own reference, for example CLB's server certificate id.
          type: str
    dissociated:
      description: With O(targets[].additional), the old additional certificates removed.
      type: list
      elements: dict
      returned: when some were removed
    quic:
      description:
        - For an ALB HTTPS listener paired with a QUIC listener, what was done to the QUIC listener, so
          that HTTP/3 clients do not keep getting the old certificate (whether a QUIC listener keeps
          certificates of its own is not documented; both cases are handled).
      type: str
      returned: when an ALB HTTPS listener paired with a QUIC listener was written
      sample: QUIC listener lsn-2 (paired with this HTTPS listener) keeps a certificate of its own; updated it too.
    https_enabled:
      description: CDN and DCDN, after a write; HTTPS is on.
      type: bool
      returned: when a CDN or DCDN target was written
    https_switched_on:
      description: CDN and DCDN; whether this write switched HTTPS on (O(targets[].enable_https=true)).
      type: bool
      returned: when a CDN or DCDN target was written
    server_certificate_id:
      description: CLB; the server certificate of the region the listener or SNI domain extension now points at.
      type: str
      returned: when a CLB target was written
    uploaded:
      description:
        - CLB; V(false) when an existing server certificate of the region was reused, V(wrapper) when one wrapping
          the CAS certificate was made, V(pem) when the certificate and the private key that CAS holds were
          uploaded instead (the international site, where CLB may refuse to wrap a CAS certificate).
        - The private key is sent in the request body, never in a URL, and never returned.
      type: raw
      returned: when a CLB target was written
      sample: wrapper
    upload_note:
      description: CLB; says why the certificate and key were uploaded instead of wrapped.
      type: str
      returned: when RV(targets[].uploaded) is V(pem)
deployments:
  description: With O(deployments), one entry per item, each with RV(certificate) and RV(targets) as above.
  returned: with O(deployments)
  type: list
  elements: dict
"""

from ansible_collections.alicloud.cas.plugins.module_utils._cas_certificates import CasCertificates
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._engine import (
    deploy,
    target_argument_spec,
    validate_deployments,
)
from ansible_collections.alicloud.cas.plugins.module_utils._deployment._products import ADAPTERS
from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError
from ansible_collections.alicloud.cas.plugins.module_utils._module import AlicloudModule


def run(glue):
    params = glue.params
    if params["wait_timeout"] <= 0:
        raise ConfigurationError("wait_timeout must be a positive number of seconds, got %d." % params["wait_timeout"],
                                 "wait_timeout")
    deployments = validate_deployments(params, ADAPTERS, params["site"])
    adapters = dict((name, adapter(glue.deployment_clients(name), wait_timeout=params["wait_timeout"]))
                    for name, adapter in ADAPTERS.items())
    certificates = CasCertificates(glue.cas_rpc(), params["site"], on_private_key=glue.hide_private_key)
    return deploy(deployments, adapters, certificates, glue.check_mode, glue.diff_mode)


def main():
    module = AlicloudModule(
        api="deployment",
        argument_spec=dict(
            certificate_id=dict(type="str"),
            domain=dict(type="str"),
            targets=target_argument_spec(),
            wait_timeout=dict(type="int", default=300),
            deployments=dict(type="list", elements="dict", options=dict(
                certificate_id=dict(type="str"),
                domain=dict(type="str"),
                targets=dict(type="list", elements="dict", required=True),
            )),
        ),
        mutually_exclusive=[("certificate_id", "domain"), ("deployments", "certificate_id"), ("deployments", "domain"),
                            ("deployments", "targets")],
        required_one_of=[("certificate_id", "domain", "deployments")],
        required_by={"certificate_id": "targets", "domain": "targets"},
    )
    module.run(run)


if __name__ == "__main__":
    main()
