"""``python -m tests.emulator``: run the emulator until SIGTERM/SIGINT (see README)."""

import argparse
import json
import signal
import sys
import threading

from .emulator import Emulator
from .seeds import SEEDS
from .state import validity_days_value


def _validity_days(text: str) -> int | float:
    try:
        return validity_days_value(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--no-tls", dest="tls", action="store_false", help="plain HTTP")
    parser.add_argument("--seed", choices=SEEDS, default="demo")
    parser.add_argument("--state-dir", help="write emulator.json and the TLS CA bundle here")
    parser.add_argument("--issue-delay", type=float, default=0.0, help="seconds from validation to issuance")
    parser.add_argument("--auto-dns-validation", action="store_true",
                        help="CAS adds the validation TXT record itself when the zone is in the same account")
    parser.add_argument("--record-domain-style", choices=("zone", "domain"), default="zone")
    parser.add_argument("--validity-days", type=_validity_days, default=90,
                        help="lifetime of issued certificates in days; fractions allowed (30.0003 is 30 days and 26 s)")
    faults = parser.add_argument_group("fault presets (bounded)")
    faults.add_argument("--throttle-qps", type=float, help="per-account rate limit -> Throttling.User")
    faults.add_argument("--error-burst", type=int, metavar="N", help="next N calls fail with 503")
    faults.add_argument("--drop-connections", type=int, metavar="N", help="next N calls get no reply")
    faults.add_argument("--random-faults", metavar="SEED:RATE:MAX",
                        help="seeded random faults of every kind, e.g. 7:0.1:20")
    faults.add_argument("--retry-after-ms", type=int, help="x-acs-retry-after on throttling/5xx")
    return parser.parse_args(argv)


def fault_config(args: argparse.Namespace) -> dict:
    config: dict = {}
    if args.throttle_qps:
        config["throttle_qps"] = args.throttle_qps
    if args.error_burst:
        config["error_burst"] = {"count": args.error_burst}
    if args.drop_connections:
        config["drop_connections"] = {"count": args.drop_connections}
    if args.random_faults:
        seed, rate, max_faults = args.random_faults.split(":")
        config["random"] = {"seed": int(seed), "rate": float(rate), "max_faults": int(max_faults)}
    if args.retry_after_ms is not None:
        config["retry_after_ms"] = args.retry_after_ms
    return config


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    emulator = Emulator(host=args.host, port=args.port, tls=args.tls, seed=args.seed, state_dir=args.state_dir,
                        issue_delay=args.issue_delay, auto_dns_validation=args.auto_dns_validation,
                        record_domain_style=args.record_domain_style, validity_days=args.validity_days,
                        faults=fault_config(args))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    emulator.start()
    print(json.dumps(emulator.info()), flush=True)
    try:
        stop.wait()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
