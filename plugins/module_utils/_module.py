# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""AnsibleModule glue: the shared options, client construction, and the one place
where errors become fail_json."""

from __future__ import annotations

import os
import threading
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.alicloud.cas.plugins.module_utils._credentials import credentials_provider
from ansible_collections.alicloud.cas.plugins.module_utils._errors import (
    AlicloudCasError,
    ConfigurationError,
    scrub,
    secret_forms,
)
from ansible_collections.alicloud.cas.plugins.module_utils._transport import (
    ALIDNS_VERSION,
    CAS_VERSION,
    DEPLOYMENT_PRODUCTS,
    HAS_REQUESTS,
    PRODUCT_VERSIONS,
    REQUESTS_IMPORT_ERROR,
    RpcClient,
    alidns_endpoint,
    cas_endpoint,
    product_endpoint,
)
from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
from ansible_collections.alicloud.cas.plugins.module_utils._alidns import AlidnsClient


def connection_argument_spec():
    """Options every API module shares; documented by the alicloud.cas.connection fragment."""
    return dict(
        access_key_id=dict(type="str", aliases=["alicloud_access_key", "access_key"], no_log=True),
        access_key_secret=dict(type="str", aliases=["alicloud_secret_key", "secret_key"], no_log=True),
        security_token=dict(type="str", aliases=["alicloud_security_token"], no_log=True),
        profile=dict(type="str"),
        credentials_file=dict(type="path"),
        ecs_role_name=dict(type="str", aliases=["role_name"]),
        # No environment fallback: the region selects nothing, and ALICLOUD_REGION exported
        # for other tools must not raise the deprecation on every task.
        region=dict(type="str", aliases=["region_id", "alicloud_region"]),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="int", default=30),
        signature_version=dict(type="str", default="v2", choices=["v2", "v3"]),
    )


def _endpoint_option():
    # ``endpoint`` was one option for both products, so a value set for a group reached the
    # other product too. Each module now calls one product only, where the old name is
    # unambiguous, but the product's own name says which API it points to.
    return dict(type="str", aliases=["endpoint"],
                deprecated_aliases=[dict(name="endpoint", version="1.0.0", collection_name="alicloud.cas")])


# The options of each product's modules, documented by the alicloud.cas.connection.cas and
# alicloud.cas.connection.alidns fragments.
API_ARGUMENT_SPECS = {
    "cas": dict(
        cas_endpoint=_endpoint_option(),
        site=dict(type="str", choices=["china", "international"], default="china"),
    ),
    "alidns": dict(dns_endpoint=_endpoint_option()),
    # The deployment modules call CAS and the five products; documented by the
    # alicloud.cas.deployment fragment. The connection option ``region`` stays the deprecated
    # one: a target's region is ``targets[N].region``, never this.
    "deployment": dict(
        dict(("%s_endpoint" % product, dict(type="str")) for product in DEPLOYMENT_PRODUCTS),
        # The deprecated alias too, so that module_defaults of group/alicloud.cas.cas that still
        # say ``endpoint`` reach these modules as they reach the other CAS modules.
        cas_endpoint=_endpoint_option(),
        site=dict(type="str", choices=["china", "international"], default="china"),
    ),
}
# Products whose SDK sends the action's parameters in the form body.
FORM_BODY_PRODUCTS = ("nlb",)


class AlicloudModule:
    """An AnsibleModule with the shared options and those of ``api`` (``cas`` or ``alidns``),
    that builds that API's client on demand."""

    def __init__(self, argument_spec, api, supports_check_mode=True, **kwargs):
        # api=None: a module that calls no API (it only works on the host's files) has no
        # connection options and does not need requests on the target.
        spec = dict(connection_argument_spec(), **API_ARGUMENT_SPECS[api]) if api else {}
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        if api and not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
        self._session = None
        self._cas_clients = []  # their warnings are shown when the module exits
        if self.params.get("region"):
            self.module.deprecate(
                "The region option selects nothing: CAS and Alidns are global services on each site, and"
                " the CAS site is chosen by the site option (china or international), no longer guessed"
                " from the region. Remove region; an international-site account sets site=international.%s"
                % (" A load balancer's region is the region key of its item in targets." if api == "deployment" else ""),
                version="1.0.0", collection_name="alicloud.cas")

    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff

    def _rpc(self, endpoint, version, form_body=False):
        params = self.params
        if params["timeout"] <= 0:
            raise ConfigurationError("timeout must be a positive number of seconds, got %d." % params["timeout"], "timeout")
        # Renewed credentials (ECS metadata) are hidden too, as soon as they are resolved.
        credentials = credentials_provider(params, on_resolved=self.hide_secrets)
        verify = params["ca_path"] or params["validate_certs"]
        if params["ca_path"] and not os.path.isfile(params["ca_path"]):
            raise ConfigurationError("ca_path %s is not a readable file; give a PEM CA bundle." % params["ca_path"], "ca_path")
        if verify is False:
            _silence_insecure_warning()
        warning = endpoint.cleartext_warning()
        if warning:
            self.module.warn(warning)
        rpc = RpcClient(endpoint.url, version, credentials, session=self._session, timeout=params["timeout"], verify=verify,
                        signature_version=params["signature_version"], form_body=form_body)
        self._session = rpc.session  # one connection pool per module run, shared by every client it makes
        return rpc

    def hide_secrets(self, credentials):
        """Keep the secrets of resolved credentials out of everything the module returns.

        Only options marked no_log are hidden by Ansible itself; credentials from the
        environment, a profile or the metadata service are not options. Every encoding is
        listed because a server may quote a request (the token is URL-encoded twice in a
        V2 string to sign).
        """
        for secret in (credentials.access_key_secret, credentials.security_token):
            if secret:
                self.module.no_log_values.update(secret_forms(secret))

    def cas(self):
        client = CasClient(self._rpc(cas_endpoint(self.params["cas_endpoint"], self.params["site"], os.environ),
                                     CAS_VERSION))
        self._cas_clients.append(client)
        return client

    def hide_private_key(self, private_key_pem):
        """Keep a private key read from CAS (CLB's upload fallback) out of everything returned."""
        if private_key_pem:
            self.module.no_log_values.update(secret_forms(private_key_pem))
            self.module.no_log_values.update(line for line in private_key_pem.splitlines() if len(line) > 16)

    def cas_rpc(self):
        """The CAS RpcClient itself, for the deployment's certificate reads."""
        return self._rpc(cas_endpoint(self.params["cas_endpoint"], self.params["site"], os.environ), CAS_VERSION)

    def deployment_clients(self, product):
        """``clients(region)`` for ``product``: one RpcClient per region (None for CDN and DCDN),
        made on first use and sharing this run's session. NLB sends its parameters in the body.
        Safe to call from the engine's threads: each client is made once."""
        made = {}
        lock = threading.Lock()

        def clients(region=None):
            with lock:
                if region not in made:
                    endpoint = product_endpoint(product, self.params.get("%s_endpoint" % product),
                                                self.params["site"], region, os.environ)
                    made[region] = self._rpc(endpoint, PRODUCT_VERSIONS[product],
                                             form_body=product in FORM_BODY_PRODUCTS)
                return made[region]
        return clients

    def alidns(self):
        return AlidnsClient(self._rpc(alidns_endpoint(self.params["dns_endpoint"], os.environ), ALIDNS_VERSION))

    def run(self, logic):
        """Run ``logic(self)`` and exit with its result dict; the only place errors become fail_json.

        A result may carry ``warnings`` (a list of strings), which become module warnings.
        """
        try:
            result = logic(self)
        except AlicloudCasError as error:
            self.module.fail_json(msg=str(error), **error.to_result())
        except Exception as error:  # a bug: still report it without secrets
            self.module.fail_json(msg="Unexpected error: %s" % scrub(error), exception=scrub(traceback.format_exc()))
        else:
            for warning in result.pop("warnings", []) + [w for c in self._cas_clients for w in c.warnings]:
                self.module.warn(warning)
            self.module.exit_json(**result)


def _silence_insecure_warning():
    """The user turned verification off on purpose; urllib3's warning would only repeat it on stderr."""
    try:
        import urllib3
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    except ImportError:  # pragma: no cover
        pass
