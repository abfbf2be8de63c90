"""Benchmark 1: our requests-based client against the official SDK (alibabacloud_cas20200407).

Same emulator over HTTPS on loopback, both verifying TLS against the emulator's CA and
signing for real (V2). Each client runs in a fresh subprocess so that its import time and
peak RSS are its own.
"""

import json
import os
import subprocess
import sys

from tests.bench import _common

IMPORTS = {
    # What a DescribeCertificateState call needs, nothing more.
    "ours": "import ansible_collections.alicloud.cas.plugins.module_utils._cas, "
            "ansible_collections.alicloud.cas.plugins.module_utils._transport, "
            "ansible_collections.alicloud.cas.plugins.module_utils._credentials",
    "sdk": "import alibabacloud_cas20200407.client, alibabacloud_cas20200407.models, alibabacloud_tea_openapi.models",
    # What ours costs that is not our code: the floor of ours/SDK while the client uses requests.
    "requests": "import requests",
}
# Goals of issue 10 for a fresh process per task: ours/SDK at most these ratios.
GOALS = {"import_ms": ("import time", 0.30), "max_rss_mib": ("peak RSS", 0.60)}
# Wall time and this process's CPU time of the imports alone (interpreter start-up excluded).
_TIMED_IMPORT = ("import time; t, c = time.perf_counter(), time.process_time(); %s; "
                 "print(time.perf_counter() - t, time.process_time() - c)")
_BARE_RSS = "from tests.bench._client_worker import peak_rss_kib; print(peak_rss_kib())"


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([_common.COLLECTIONS_ROOT, _common.REPO_ROOT])
    # Bytecode is cached (outside the checkout) so import time measures importing, not
    # compiling: PYTHONDONTWRITEBYTECODE, set on these machines, would recompile every
    # source file of both clients in each run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(_common.REPO_ROOT, ".cache", "bench", "pycache")
    return env


def _python(code_or_args, env):
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else list(code_or_args)
    done = subprocess.run([sys.executable] + args, env=env, cwd=_common.REPO_ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError("benchmark subprocess failed: %s" % done.stderr[-2000:])
    return done.stdout.strip().splitlines()[-1]


def import_times(runs, env):
    """Import wall and CPU time of both clients, each run a fresh interpreter.

    Runs alternate (ours, SDK, ours, SDK, ...), so that a change in the load of a shared
    machine reaches both medians alike instead of skewing one client's.
    """
    timed = {"ours": [], "sdk": [], "requests": []}
    for impl in timed:  # untimed: both sides measured with warm bytecode and page caches
        _python(_TIMED_IMPORT % IMPORTS[impl], env)
    for _run in range(runs):
        for impl in ("ours", "sdk", "requests"):
            wall, cpu = (float(value) for value in _python(_TIMED_IMPORT % IMPORTS[impl], env).split())
            timed[impl].append((wall, cpu))
    return {impl: {"import_ms": _common.median([wall for wall, _cpu in pairs]) * 1000,
                   "import_cpu_ms": _common.median([cpu for _wall, cpu in pairs]) * 1000}
            for impl, pairs in timed.items()}


def run(calls=200, warmup=5, import_runs=11, rounds=2):
    _common.setup_paths()
    from ansible_collections.alicloud.cas.plugins.module_utils._cas import CasClient
    from ansible_collections.alicloud.cas.plugins.module_utils._credentials import Credentials
    from ansible_collections.alicloud.cas.plugins.module_utils._transport import CAS_VERSION, RpcClient
    from tests.emulator import Emulator

    env = _env()
    results = {}
    with Emulator(tls=True, seed="demo") as emu:
        cas = CasClient(RpcClient(emu.base_url, CAS_VERSION, Credentials(_common.KEY, _common.SECRET),
                                  verify=emu.ca_path))
        order_id = cas.create("bench.example.com", "ops@example.com", "13800000000", "Bench", "DNS",
                              known_order_ids=[])["order_id"]
        # Rounds alternate (ours, sdk, ours, sdk, ...) so that a change in machine load hits
        # both clients alike; each round is a fresh process making N timed calls.
        raw = {"ours": [], "sdk": []}
        for _round in range(rounds):
            for impl in ("ours", "sdk"):
                emu.control.clear_calls()
                answer = json.loads(_python(["-m", "tests.bench._client_worker", impl, emu.base_url, emu.ca_path,
                                             str(order_id), str(calls), str(warmup)], env))
                log = [c for c in emu.control.calls() if c["action"] == "DescribeCertificateState"]
                # Every call must have reached the emulator and passed its signature check.
                answer["calls_ok"] = sum(1 for c in log if c["status"] == 200)
                raw[impl].append(answer)
        for impl, runs in raw.items():
            latencies = [value for one in runs for value in one["latencies"]]
            results[impl] = {
                "median_ms": _common.median(latencies) * 1000,
                "p95_ms": _common.percentile(latencies, 0.95) * 1000,
                "first_ms": _common.median([one["warmup"][0] for one in runs]) * 1000,
                "max_rss_mib": max(one["max_rss_kib"] for one in runs) / 1024.0,
                "calls_ok": sum(one["calls_ok"] for one in runs),
            }
        figures = import_times(import_runs, env)
        for impl in ("ours", "sdk"):
            results[impl].update(figures[impl])
    results["requests_import_ms"] = figures["requests"]["import_ms"]
    results["bare_rss_mib"] = int(_python(_BARE_RSS, env)) / 1024.0
    results["calls"] = calls
    results["warmup"] = warmup
    results["import_runs"] = import_runs
    results["rounds"] = rounds
    return results


def table(results):
    ours, sdk = results["ours"], results["sdk"]
    rows = [
        ("median latency per call (ms)", "median_ms", "%.2f"),
        ("p95 latency per call (ms)", "p95_ms", "%.2f"),
        ("first call incl. TLS handshake (ms)", "first_ms", "%.1f"),
        ("import time, median of %d fresh processes (ms)" % results["import_runs"], "import_ms", "%.0f"),
        ("import CPU time, same processes (ms)", "import_cpu_ms", "%.0f"),
        ("peak RSS after the run (MiB)", "max_rss_mib", "%.1f"),
    ]
    lines = ["| figure | ours (requests) | official SDK | ours/SDK | goal |", "|---|---:|---:|---:|---|"]
    verdicts = []
    for label, key, fmt in rows:
        ratio = ours[key] / sdk[key] if sdk[key] else float("nan")
        goal = ""
        if key in GOALS:
            name, limit = GOALS[key]
            met = ratio <= limit
            goal = "<= %.2f: %s" % (limit, "met" if met else "**missed**")
            verdicts.append("%s %.2f (goal <= %.2f, %s)" % (name, ratio, limit, "met" if met else "MISSED"))
        lines.append("| %s | %s | %s | %.2f | %s |" % (label, fmt % ours[key], fmt % sdk[key], ratio, goal))
    total = (results["calls"] + results["warmup"]) * results["rounds"]
    lines.append("| calls answered 200 (signed and TLS-verified) | %d/%d | %d/%d | | |" % (
        ours["calls_ok"], total, sdk["calls_ok"], total))
    lines.append("")
    lines.append("Import-cost goals, ours/SDK in this run: %s. Of our import, `import requests` alone takes %.0f ms"
                 " (%.2f of the SDK's)." % (
                     "; ".join(verdicts), results["requests_import_ms"], results["requests_import_ms"] / sdk["import_ms"]))
    lines.append("")
    lines.append(
        "%d rounds per client, alternating, each a fresh process making %d warm-up calls (the first one opens"
        " the TLS connection) and N = %d timed DescribeCertificateState calls; latency figures pool the timed"
        " calls of all rounds, the first-call figure is the median over rounds. Import times are medians of %d"
        " fresh processes per client, each run alternating with one of the other client. Peak RSS is the"
        " process's VmHWM; a bare interpreter peaks at %.1f MiB." % (
            results["rounds"], results["warmup"], results["calls"], results["import_runs"], results["bare_rss_mib"]))
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
