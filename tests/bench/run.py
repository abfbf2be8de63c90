"""Run every benchmark and print one Markdown report (what `make bench` shows).

    python -m tests.bench.run [--only client,economy,fleet,fleet-api,polling,emulator,pool,estate,listing,deploy]
                              [--hosts N] [--output FILE]

Figures, not assertions: the exit status is non-zero only when a benchmark could not run.
"""

import argparse
import datetime
import os
import platform
import sys
import time

from tests.bench import _common

ALL = ("client", "economy", "fleet", "fleet-api", "polling", "emulator", "pool", "estate", "listing", "deploy")


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = []
    for dist in ("ansible-core", "requests", "alibabacloud_cas20200407", "alibabacloud_tea_openapi", "cryptography"):
        try:
            from importlib.metadata import version
            versions.append("%s %s" % (dist, version(dist)))
        except Exception:  # noqa: BLE001 - a missing distribution is reported, not fatal
            versions.append("%s missing" % dist)
    try:
        load = "%.1f %.1f %.1f" % os.getloadavg()
    except OSError:
        load = "unknown"
    return [
        "- date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "- machine: %d CPU (%s), %s %s, load average at start %s" % (
            os.cpu_count() or 0, cpu, platform.system(), platform.release(), load),
        "- Python %s; %s" % (platform.python_version(), ", ".join(versions)),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated subset of %s" % ", ".join(ALL))
    parser.add_argument("--hosts", type=int, default=100, help="fleet size (default 100)")
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--qps", type=int, default=20)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--output", help="also write the report to this file")
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(wanted) - set(ALL)
    if unknown:
        parser.error("unknown benchmark(s): %s" % ", ".join(sorted(unknown)))
    _common.setup_paths()

    report = ["# alicloud.cas benchmarks", ""] + machine() + [""]
    status = 0

    def section(title, build):
        nonlocal status
        print("[bench] %s ..." % title, file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            body = build()
        except Exception as error:  # noqa: BLE001 - one failed benchmark must not hide the others
            status = 1
            body = "benchmark failed: %s: %s" % (type(error).__name__, error)
        report.extend(["## %s" % title, "", body, "", "_(%.0f s)_" % (time.monotonic() - started), ""])
        print("[bench] %s done in %.0f s" % (title, time.monotonic() - started), file=sys.stderr, flush=True)

    if "client" in wanted:
        from tests.bench import client_vs_sdk
        section("1. Client against the official SDK", lambda: client_vs_sdk.table(client_vs_sdk.run(calls=args.calls)))
    if "economy" in wanted:
        from tests.bench import call_economy
        section("2. API call economy (role, one domain, Alidns validation)",
                lambda: call_economy.table(call_economy.run()))
    if "fleet" in wanted:
        from tests.bench import fleet
        section("3. Fleet (role, %d hosts, %d forks, %d calls/s)" % (args.hosts, args.forks, args.qps),
                lambda: fleet.table(fleet.run_strategies(hosts=args.hosts, forks=args.forks, qps=args.qps)))
    if "fleet-api" in wanted:
        from tests.bench import fleet_api
        section("3b. Fleet API traffic without Ansible (%d domains, %d threads, %d calls/s, default retry policy)" % (
            args.hosts, args.forks, args.qps),
            lambda: fleet_api.table(fleet_api.run(domains=args.hosts, workers=args.forks, qps=args.qps)))
    if "polling" in wanted:
        from tests.bench import polling
        section("4. Polling latency (role)", lambda: polling.table(polling.run()))
    if "emulator" in wanted:
        from tests.bench import emulator_speed
        section("5. Emulator time per call, V2 and V3 signing", lambda: emulator_speed.table(emulator_speed.run()))
    if {"pool", "estate", "listing"} & set(wanted):
        from tests.bench import role_scale
    if "pool" in wanted:
        section("6a. Role at scale: a pool of 4 hosts sharing one domain", lambda: role_scale.table(
            {"pool": role_scale.pool()}))
    if "estate" in wanted:
        section("6b. Role at scale: estates, issue_delay 60 s, %d calls/s" % args.qps, lambda: role_scale.table(
            {"estate_six": role_scale.estate_six(qps=args.qps),
             "estate_one_host": role_scale.estate_one_host(qps=args.qps),
             "estate_shared": role_scale.estate_shared(qps=args.qps, forks=args.forks)}))
    if "listing" in wanted:
        section("6c. Role at scale: listing costs with 1,000 earlier orders", lambda: role_scale.table(
            {"listing": role_scale.listing()}))

    if "deploy" in wanted:
        from tests.bench import deploy
        section("7. Deployment (issue 18): 120 targets in one run, and the role with deploy_to",
                lambda: deploy.table(deploy.run()))

    text = "\n".join(report)
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
