# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The product endpoints of the deployment modules, which call CAS (alicloud.cas.connection.cas
    # gives cas_endpoint, site and the cas action group) and the five products.
    DOCUMENTATION = r"""
options:
  cdn_endpoint:
    description:
      - Base URL of the CDN API. Default is C(cdn.aliyuncs.com), or C(cdn.ap-southeast-1.aliyuncs.com) with
        O(site=international), the host the official SDK uses for the international regions.
      - Without it, E(ALIBABA_CLOUD_CDN_ENDPOINT) is used when set.
    type: str
  dcdn_endpoint:
    description:
      - Base URL of the DCDN API. Default is C(dcdn.aliyuncs.com), the host of both sites.
      - Without it, E(ALIBABA_CLOUD_DCDN_ENDPOINT) is used when set.
    type: str
  clb_endpoint:
    description:
      - Base URL of the CLB (SLB) API. Default is the host the official SDK uses for the target's region,
        C(slb.aliyuncs.com) for the regions it lists and C(slb.<region>.aliyuncs.com) for the others.
      - A C({region}) placeholder is replaced by the target's region, so that one value serves targets in several
        regions; a value without it serves every region.
      - Without it, E(ALIBABA_CLOUD_CLB_ENDPOINT) is used when set.
    type: str
  alb_endpoint:
    description:
      - Base URL of the ALB API. Default is C(alb.<region>.aliyuncs.com) for the target's region.
      - A C({region}) placeholder is replaced by the target's region; a value without it serves every region.
      - Without it, E(ALIBABA_CLOUD_ALB_ENDPOINT) is used when set.
    type: str
  nlb_endpoint:
    description:
      - Base URL of the NLB API. Default is C(nlb.<region>.aliyuncs.com) for the target's region.
      - A C({region}) placeholder is replaced by the target's region; a value without it serves every region.
      - Without it, E(ALIBABA_CLOUD_NLB_ENDPOINT) is used when set.
      - NLB's parameters are sent in the form body, as its SDK sends them.
    type: str
notes:
  - O(site) also chooses the CDN host and the region of the C(<id>-<region>) form of a certificate id
    (C(cn-hangzhou) or C(ap-southeast-1)).
  - A bare host name in an endpoint option means HTTPS. A plain C(http://) URL to a host other than this one gives a
    warning.
  - The connection option O(region) is the deprecated one and selects nothing; a target's region is its own
    C(region) key.
"""

    # The targets list, shared by certificate_deployment and certificate_deployment_info.
    TARGETS = r"""
options:
  targets:
    description:
      - The places that serve the certificate. Each item has O(targets[].product) and that product's keys; any other
        key set for the product is refused, naming C(targets[N].<key>).
      - V(cdn) and V(dcdn) take O(targets[].domain) (and O(targets[].enable_https)).
      - V(clb) takes O(targets[].region), O(targets[].load_balancer_id), O(targets[].listener_port), and an optional
        O(targets[].domain) for an SNI domain extension of that listener.
      - V(alb) and V(nlb) take O(targets[].region), O(targets[].listener_id) and O(targets[].additional).
      - Every item is checked before the first call. Two items that name the same target are refused.
    type: list
    elements: dict
    suboptions:
      product:
        description: The product that serves the target.
        type: str
        required: true
        choices: [cdn, dcdn, clb, alb, nlb]
      domain:
        description:
          - The CDN or DCDN accelerated domain, or the domain of a CLB SNI domain extension.
          - The certificate must cover it; wildcard rules apply (V(*.example.com) covers V(a.example.com), not
            V(example.com) and not V(a.b.example.com)).
        type: str
      region:
        description: The region of the load balancer, for example V(cn-hangzhou) (clb, alb, nlb).
        type: str
      load_balancer_id:
        description: The CLB instance id (clb).
        type: str
      listener_port:
        description: The port of the CLB HTTPS listener (clb).
        type: int
      listener_id:
        description: The ALB or NLB listener id (alb, nlb).
        type: str
      additional:
        description:
          - Add the certificate as an extra (SNI) certificate of the listener instead of replacing its default one
            (alb, nlb).
          - An old additional certificate is removed only when all its names are in the new one, and only after the
            new one is associated.
        type: bool
        default: false
      enable_https:
        description:
          - Switch HTTPS on for a CDN or DCDN domain whose HTTPS is off. Without it such a domain is refused.
          - HTTPS is never switched off.
        type: bool
        default: false
      force:
        description:
          - A listener without a domain (the default certificate of a CLB, ALB or NLB listener) keeps its certificate
            unless the new one covers every name of it, so that one site's certificate never replaces another's.
            V(true) replaces it anyway.
        type: bool
        default: false
"""
