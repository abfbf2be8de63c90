"""Benchmark 5: the emulator's own time per call, with V2 and with V3 signing.

One in-process HTTPS emulator; ``DescribePackageState`` over one keep-alive connection
(``http.client``, signed before the clock starts), so the figure is the emulator's gateway,
verifier and reply, not a client's overhead. The official SDK's time per call with each
scheme is shown next to it, as SDK users see it. A reply written in pieces would meet the
client's delayed ACK and cost about 40 ms per call; the emulator answers in a few ms.
"""

import datetime
import http.client
import ssl
import time
import urllib.parse
import uuid
import warnings

from tests.bench import _common
from tests.emulator import Emulator, signature

ACTION, VERSION = "DescribePackageState", "2020-04-07"


def _stamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _v2_request(port: int) -> tuple[str, dict]:
    params = {"Action": ACTION, "Version": VERSION, "AccessKeyId": _common.KEY, "Format": "JSON",
              "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": uuid.uuid4().hex,
              "Timestamp": _stamp()}
    params["Signature"] = signature.sign(signature.string_to_sign("POST", params), _common.SECRET)
    return "/?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote), {}


def _v3_request(port: int) -> tuple[str, dict]:
    # Signed with the emulator's own verifier: correctness is not measured here, and a wrong
    # signature would show up as a failed call.
    headers = {"host": f"127.0.0.1:{port}", "x-acs-action": ACTION, "x-acs-version": VERSION,
               "x-acs-date": _stamp(), "x-acs-signature-nonce": uuid.uuid4().hex,
               "x-acs-content-sha256": signature.payload_hash(b"")}
    names = tuple(sorted(headers))
    canonical = signature.canonical_request_v3("POST", "/", {}, headers, names, signature.payload_hash(b""))
    mac = signature.sign_v3(signature.string_to_sign_v3(canonical), _common.SECRET)
    headers["Authorization"] = (f"{signature.V3_ALGORITHM} Credential={_common.KEY},"
                                f"SignedHeaders={';'.join(names)},Signature={mac}")
    return "/", headers


REQUEST_BUILDERS = {"v2": _v2_request, "v3": _v3_request}


def keep_alive_seconds(emu: Emulator, signing: str, calls: int) -> list[float]:
    """Wall time of each call on one TLS keep-alive connection."""
    build = REQUEST_BUILDERS[signing]
    context = ssl.create_default_context(cafile=emu.ca_path)
    connection = http.client.HTTPSConnection("127.0.0.1", emu.port, context=context, timeout=30)
    times = []
    try:
        for _call in range(calls):
            target, headers = build(emu.port)
            started = time.perf_counter()
            connection.request("POST", target, headers=headers)
            response = connection.getresponse()
            body = response.read()
            times.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"{signing} call failed: {response.status} {body[:300]!r}")
    finally:
        connection.close()
    return times


def sdk_seconds(emu: Emulator, signing: str, calls: int) -> list[float]:
    from alibabacloud_cas20200407 import models
    from alibabacloud_cas20200407.client import Client
    from alibabacloud_tea_openapi.models import Config

    config = Config(access_key_id=_common.KEY, access_key_secret=_common.SECRET, endpoint=f"127.0.0.1:{emu.port}",
                    protocol="https", ca=emu.ca_path)
    if signing == "v2":
        config.signature_algorithm = "v2"
    client = Client(config)
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK's datetime.utcnow()
        for _call in range(calls):
            started = time.perf_counter()
            client.describe_package_state(models.DescribePackageStateRequest())
            times.append(time.perf_counter() - started)
    return times


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(calls: int = 200, warmup: int = 10) -> list[dict]:
    rows = []
    with Emulator(tls=True, seed="demo") as emu:
        for client, measure in (("keep-alive connection (emulator only)", keep_alive_seconds),
                                ("official SDK", sdk_seconds)):
            for signing in ("v2", "v3"):
                measure(emu, signing, warmup)
                times = measure(emu, signing, calls)
                rows.append({"client": client, "signing": signing, "calls": calls,
                             "median_ms": _common.median(times) * 1000, "p90_ms": _percentile(times, 0.9) * 1000,
                             "max_ms": max(times) * 1000})
            emu.control.clear_calls()
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| client | signing | calls | median ms/call | p90 ms | max ms |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['client']} | {r['signing'].upper()} | {r['calls']} | {r['median_ms']:.2f} | "
              f"{r['p90_ms']:.2f} | {r['max_ms']:.1f} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
