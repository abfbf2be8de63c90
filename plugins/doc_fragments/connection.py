# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  access_key_id:
    description:
      - Alibaba Cloud access key ID.
      - If not set, the environment variables E(ALIBABA_CLOUD_ACCESS_KEY_ID), then E(ALICLOUD_ACCESS_KEY) are used,
        then a profile of the aliyun CLI file (see O(profile)), then an ECS RAM role (see O(ecs_role_name)).
      - The first source that yields credentials wins; when none does, the error lists every source tried.
    type: str
    aliases: [alicloud_access_key, access_key]
  access_key_secret:
    description:
      - Alibaba Cloud access key secret, the partner of O(access_key_id).
      - Environment fallbacks are E(ALIBABA_CLOUD_ACCESS_KEY_SECRET) and E(ALICLOUD_SECRET_KEY).
    type: str
    aliases: [alicloud_secret_key, secret_key]
  security_token:
    description:
      - STS security token, for temporary credentials (access key IDs that start with C(STS.)).
      - Environment fallbacks are E(ALIBABA_CLOUD_SECURITY_TOKEN) and E(ALICLOUD_SECURITY_TOKEN).
    type: str
    aliases: [alicloud_security_token]
  profile:
    description:
      - Profile of the aliyun CLI configuration file to use, in modes C(AK), C(StsToken) or C(EcsRamRole).
      - Defaults to E(ALIBABA_CLOUD_PROFILE), then E(ALICLOUD_PROFILE), then the file's C(current) profile.
      - Naming a profile that does not exist is an error.
    type: str
  credentials_file:
    description:
      - Path of the aliyun CLI configuration file.
      - Defaults to E(ALICLOUD_SHARED_CREDENTIALS_FILE), then C(~/.aliyun/config.json).
    type: path
  ecs_role_name:
    description:
      - Name of the RAM role attached to the ECS instance that runs the module.
      - Credentials are then read from the instance metadata service, with an IMDSv2 token when the service gives one.
      - Environment fallbacks are E(ALIBABA_CLOUD_ECS_METADATA) and E(ALICLOUD_ECS_ROLE_NAME).
    type: str
    aliases: [role_name]
  region:
    description:
      - Deprecated, and selects nothing. CAS and Alidns are global services on each site, so a region chooses no
        endpoint; the CAS site is set with the C(site) option of the CAS modules. Setting it gives a deprecation warning,
        and it will be removed in alicloud.cas 1.0.0.
      - In alicloud.cas 0.1.0 a region outside mainland China chose the international CAS site, and the environment variables
        E(ALIBABA_CLOUD_REGION_ID), E(ALICLOUD_REGION) and E(ALICLOUD_REGION_ID) set it. They are no longer read.
    type: str
    aliases: [region_id, alicloud_region]
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the endpoint. Set to V(false) only for testing.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of CA certificates to trust for the endpoint, for example a private or test CA.
    type: path
  timeout:
    description:
      - Timeout in seconds of each HTTP request. Failed requests are retried with backoff within a bounded budget.
    type: int
    default: 30
  signature_version:
    description:
      - How requests are signed.
      - V(v2) is HMAC-SHA1 with every parameter in the query (C(SignatureVersion=1.0)), as acme.sh and Terraform send it.
      - V(v3) is C(ACS3-HMAC-SHA256), the default of the current official SDKs, with the signature and the STS token
        in request headers instead of the URL. Alibaba Cloud's documentation marks V2 as no longer recommended;
        choose V(v3) to follow that, or to keep the token out of URLs (for example in the logs of a TLS-inspecting
        proxy).
    type: str
    choices: [v2, v3]
    default: v2
notes:
  - Secrets (O(access_key_secret), O(security_token)) never appear in results, diffs or error messages.
  - Set the connection options once per product with C(module_defaults) and the action groups
    C(group/alicloud.cas.cas) (the CAS modules) and C(group/alicloud.cas.alidns) (M(alicloud.cas.dns_record)).
requirements:
  - requests
"""

    # The CAS modules' own options and action group.
    CAS = r"""
options:
  cas_endpoint:
    description:
      - Base URL of the CAS API (scheme, host and optional port), overriding the host of O(site).
      - Without it, E(ALIBABA_CLOUD_CAS_ENDPOINT) is used when set. This is how tests reach an emulator.
      - A bare host name means HTTPS. A plain C(http://) URL to a host other than this one (loopback) gives a
        warning, because the signed requests, the STS token and the answers then travel in clear text.
      - The alias O(endpoint) is deprecated and will be removed in alicloud.cas 1.0.0.
    type: str
    aliases: [endpoint]
  site:
    description:
      - The Alibaba Cloud site of the account. CAS answers on C(cas.aliyuncs.com) for China site accounts
        (aliyun.com) and on C(cas.ap-southeast-1.aliyuncs.com) for international site accounts
        (alibabacloud.com). A key used on the other site's host fails with C(InvalidAccessKeyId.NotFound).
      - Ignored when O(cas_endpoint) or E(ALIBABA_CLOUD_CAS_ENDPOINT) is set.
    type: str
    choices: [china, international]
    default: china
attributes:
  action_group:
    description: Use C(group/alicloud.cas.cas) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - alicloud.cas.cas
"""

    # The Alidns module's own options and action group.
    ALIDNS = r"""
options:
  dns_endpoint:
    description:
      - Base URL of the Alidns API (scheme, host and optional port). Default is C(alidns.aliyuncs.com), the host of
        both sites.
      - Without it, E(ALIBABA_CLOUD_DNS_ENDPOINT) is used when set. This is how tests reach an emulator.
      - A bare host name means HTTPS. A plain C(http://) URL to a host other than this one (loopback) gives a
        warning, because the signed requests and the STS token then travel in clear text.
      - The alias O(endpoint) is deprecated and will be removed in alicloud.cas 1.0.0.
    type: str
    aliases: [endpoint]
attributes:
  action_group:
    description: Use C(group/alicloud.cas.alidns) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - alicloud.cas.alidns
"""
