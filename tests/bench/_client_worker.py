"""One client in its own process: N DescribeCertificateState calls, then latencies and peak RSS.

Run by tests/bench/client_vs_sdk.py as
``python -m tests.bench._client_worker IMPL BASE_URL CA_PATH ORDER_ID N WARMUP`` with IMPL
``ours`` or ``sdk``. Kept free of other benchmark code so that peak RSS is the client's.
"""

import json
import resource
import sys
import time

KEY = "LTAI5tEmulatorDemoKey01"
SECRET = "EmulatorDemoSecret0123456789abc"


def ours(base_url, ca_path):
    from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
    from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RpcClient

    # verify=ca_path per request: REQUESTS_CA_BUNDLE cannot override it, so TLS is really
    # verified against the emulator's CA.
    cas = CasClient(RpcClient(base_url, CAS_VERSION, Credentials(KEY, SECRET), verify=ca_path))

    def call(order_id):
        answer = cas.describe_state(order_id)
        assert answer["Type"], answer
    return call


def sdk(base_url, ca_path):
    from alibabacloud_cas20200407 import models
    from alibabacloud_cas20200407.client import Client
    from alibabacloud_tea_openapi.models import Config

    # The emulator implements V2 signatures only; Config.ca makes the tea runtime verify TLS.
    client = Client(Config(access_key_id=KEY, access_key_secret=SECRET, endpoint=base_url.split("://", 1)[1],
                           protocol="https", signature_algorithm="v2", ca=ca_path))

    def call(order_id):
        answer = client.describe_certificate_state(models.DescribeCertificateStateRequest(order_id=order_id))
        assert answer.body.type, answer
    return call


def peak_rss_kib():
    """Peak resident set size of this process in KiB.

    VmHWM belongs to the address space created by exec, whereas Linux carries ru_maxrss
    over from the parent across fork/vfork + exec: a worker started by a 50 MiB parent would
    report at least 50 MiB. ru_maxrss is the fallback where /proc is missing.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv):
    impl, base_url, ca_path, order_id, count, warmup = argv
    order_id, count, warmup = int(order_id), int(count), int(warmup)
    call = {"ours": ours, "sdk": sdk}[impl](base_url, ca_path)
    # Warm-up calls open the keep-alive connection (TLS handshake) and fill lazy caches;
    # they are reported separately so the steady-state figures compare like with like.
    first = []
    for _warm in range(warmup):
        started = time.perf_counter()
        call(order_id)
        first.append(time.perf_counter() - started)
    latencies = []
    for _timed in range(count):
        started = time.perf_counter()
        call(order_id)
        latencies.append(time.perf_counter() - started)
    print(json.dumps({
        "impl": impl,
        "warmup": first,
        "latencies": latencies,
        "max_rss_kib": peak_rss_kib(),
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
