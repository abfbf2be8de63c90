"""Issue a DV certificate with Alibaba's official Python SDKs against the local emulator.

The same call sequence as `make demo` (docs/examples/demo.yml): quota, order, validation
details, TXT record, wait for issuance, download, remove the record. The SDKs run with
their default settings, so they sign with V3 (ACS3-HMAC-SHA256); add
``--signature-algorithm v2`` to try the older scheme.

    python -m tests.emulator --seed demo --state-dir /tmp/emu &
    python docs/examples/sdk_against_emulator.py --emulator-json /tmp/emu/emulator.json

Needs ``alibabacloud_cas20200407`` and ``alibabacloud_alidns20150109`` (the test venv has
them). Against the real service, pass your own endpoints and drop the CA bundle: CAS is
``cas.aliyuncs.com`` and Alidns ``alidns.aliyuncs.com`` (see docs/sites.md), and the key
comes from ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET.
"""

import argparse
import json
import os
import sys
import time
import urllib.parse
import warnings

from alibabacloud_alidns20150109 import models as dns_models
from alibabacloud_alidns20150109.client import Client as AlidnsClient
from alibabacloud_cas20200407 import models as cas_models
from alibabacloud_cas20200407.client import Client as CasClient
from alibabacloud_tea_openapi.models import Config

# The emulator's published demo key (seed "demo"); never a real credential.
DEMO_KEY_ID = "LTAI5tEmulatorDemoKey01"
DEMO_KEY_SECRET = "EmulatorDemoSecret0123456789abc"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--emulator-json", help="the emulator.json that `--state-dir` writes")
    where.add_argument("--endpoint", help="base URL, e.g. https://127.0.0.1:40123 (both products)")
    parser.add_argument("--ca-path", help="CA bundle of the emulator's HTTPS listener (with --endpoint)")
    parser.add_argument("--domain", default="www.example.com")
    parser.add_argument("--zone", default="example.com", help="the Alidns zone that holds --domain")
    parser.add_argument("--out", help="directory for cert.pem and privkey.pem")
    parser.add_argument("--signature-algorithm", choices=["v3", "v2"], default="v3",
                        help="v3 is the SDK default")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for issuance")
    return parser.parse_args(argv)


def sdk_config(base_url, ca_path, signature_algorithm):
    """The SDK takes a host[:port] endpoint and the scheme separately; ``ca`` verifies TLS."""
    url = urllib.parse.urlsplit(base_url)
    config = Config(
        access_key_id=os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", DEMO_KEY_ID),
        access_key_secret=os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", DEMO_KEY_SECRET),
        endpoint=url.netloc, protocol=url.scheme, ca=ca_path,
    )
    if signature_algorithm == "v2":
        config.signature_algorithm = "v2"
    return config


def host_record(record_domain, domain, zone):
    """Alidns RR of the validation record. CAS's RecordDomain may be relative to the zone
    (``_dnsauth.www``) or to the certificate domain (``_dnsauth``); both name the same place."""
    name = domain[2:] if domain.startswith("*.") else domain
    inside_zone = name[:-len(zone) - 1] if name.endswith("." + zone) else ""
    if not inside_zone or record_domain.endswith("." + inside_zone):
        return record_domain
    return f"{record_domain}.{inside_zone}"


def main(argv=None):
    args = parse_args(argv)
    if args.emulator_json:
        with open(args.emulator_json, encoding="utf-8") as handle:
            info = json.load(handle)
        base_url, ca_path = info["base_url"], info["ca_path"]
    else:
        base_url, ca_path = args.endpoint, args.ca_path
    config = sdk_config(base_url, ca_path, args.signature_algorithm)
    cas, dns = CasClient(config), AlidnsClient(config)

    package = cas.describe_package_state(cas_models.DescribePackageStateRequest()).body
    print(f"quota        {package.product_code}: {package.total_count - package.used_count} "
          f"of {package.total_count} left")

    order_id = cas.create_certificate_request(cas_models.CreateCertificateRequestRequest(
        domain=args.domain, validate_type="DNS", email="admin@example.com", phone="13800000000",
        username="Demo Operator")).body.order_id
    print(f"order        {order_id} for {args.domain}")

    state_request = cas_models.DescribeCertificateStateRequest(order_id=order_id)
    state = cas.describe_certificate_state(state_request).body
    rr = host_record(state.record_domain, args.domain, args.zone)
    print(f"validation   TXT {rr}.{args.zone} = {state.record_value}")

    record_id = dns.add_domain_record(dns_models.AddDomainRecordRequest(
        domain_name=args.zone, rr=rr, type="TXT", value=state.record_value)).body.record_id
    print(f"record       {record_id} added")
    try:
        deadline = time.monotonic() + args.timeout
        state = cas.describe_certificate_state(state_request).body
        while state.type != "certificate":
            if state.type not in ("domain_verify", "process") or time.monotonic() > deadline:
                print(f"order {order_id} stopped in state {state.type}", file=sys.stderr)
                return 1
            time.sleep(1)
            state = cas.describe_certificate_state(state_request).body
        print(f"issued       certificate {state.cert_id}")

        detail = cas.get_user_certificate_detail(
            cas_models.GetUserCertificateDetailRequest(cert_id=int(state.cert_id))).body
        print(f"downloaded   {detail.common}, valid {detail.start_date} to {detail.end_date}, "
              f"{len(detail.cert_chain)} certificates in the chain, private key {'yes' if detail.key else 'no'}")
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            with open(os.path.join(args.out, "cert.pem"), "w", encoding="ascii") as handle:
                handle.write(detail.cert)
            written = ["cert.pem"]
            if detail.key:
                descriptor = os.open(os.path.join(args.out, "privkey.pem"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                     0o600)
                with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                    handle.write(detail.key)
                written.append("privkey.pem")
            print(f"written      {', '.join(written)} in {args.out}")
    finally:
        dns.delete_domain_record(dns_models.DeleteDomainRecordRequest(record_id=record_id))
        print(f"record       {record_id} deleted")
    return 0


if __name__ == "__main__":
    # The tea runtime calls datetime.utcnow(), deprecated since Python 3.12; not ours to fix.
    warnings.filterwarnings("ignore", message="datetime.datetime.utcnow", category=DeprecationWarning)
    sys.exit(main())
