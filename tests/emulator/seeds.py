"""Named starting states (``--seed``). ``demo`` is fixed by docs/dev/contracts.md."""

from .state import AccessKey, Quota, State

DEMO_ACCOUNT_ID = "1234567890123456"
DEMO_ACCESS_KEY_ID = "LTAI5tEmulatorDemoKey01"
DEMO_ACCESS_KEY_SECRET = "EmulatorDemoSecret0123456789abc"
DEMO_ZONE = "example.com"
DEMO_QUOTAS = {"digicert-free-1-free": 20, "geotrust-dv-w-starter": 5}
SEEDS = ("demo", "empty", "v2")
# Seed "v2": an account that started after 2026-02-14. It has no V1.0 plan (quota zero)
# and gets certificates from subscription instances: (instance type, spec) per instance.
V2_INSTANCES = (("TEST", "single"), ("TEST", "single"), ("BUY", "single"), ("BUY", "wildcard"))


DEMO_CDN_DOMAIN = "www.example.com"  # HTTPS off: the demo deploys to it with enable_https


def apply_seed(seed: str, state: State, alidns, instances=None, products=None) -> None:
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; choose one of {', '.join(SEEDS)}")
    if seed == "empty":
        return
    state.add_key(AccessKey(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, DEMO_ACCOUNT_ID))
    alidns.add_zone(DEMO_ACCOUNT_ID, DEMO_ZONE)
    if seed == "v2":
        for instance_type, spec in V2_INSTANCES:
            instances.add_instance(DEMO_ACCOUNT_ID, instance_type, spec)
        return
    for product_code, total in DEMO_QUOTAS.items():
        state.quotas[(DEMO_ACCOUNT_ID, product_code)] = Quota(total=total)
    if products and "cdn" in products:
        products["cdn"].add_domain(DEMO_ACCOUNT_ID, DEMO_CDN_DOMAIN, https=False)
