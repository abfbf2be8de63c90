"""docs/examples/sdk_against_emulator.py, as docs/emulator.md shows it: the official SDKs with
default settings run the demo's call sequence against ``python -m tests.emulator``."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from cryptography import x509

from tests.emulator import EmulatorControl

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(REPO_ROOT, "docs", "examples", "sdk_against_emulator.py")
DEMO_SEQUENCE = ["DescribePackageState", "CreateCertificateRequest", "DescribeCertificateState", "AddDomainRecord",
                 "DescribeCertificateState", "GetUserCertificateDetail", "DeleteDomainRecord"]


@pytest.fixture(scope="module")
def cli_emulator(tmp_path_factory):
    """The emulator as a user starts it: its own process, found through emulator.json."""
    state_dir = tmp_path_factory.mktemp("emulator")
    stderr_path = state_dir / "stderr.log"
    with open(stderr_path, "wb") as stderr:  # a file, not a pipe: nobody reads it while tests run
        process = subprocess.Popen([sys.executable, "-m", "tests.emulator", "--seed", "demo", "--state-dir",
                                    str(state_dir)], cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
    info_path = state_dir / "emulator.json"
    try:
        deadline = time.monotonic() + 30
        while not (info_path.exists() and info_path.stat().st_size):
            assert process.poll() is None, stderr_path.read_text()
            assert time.monotonic() < deadline, "the emulator did not start within 30 s"
            time.sleep(0.05)
        info = json.loads(info_path.read_text())
        control = EmulatorControl(info["control_url"], verify=info["ca_path"])
        yield str(info_path), control
        control.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def emulator_json(cli_emulator):
    info_path, control = cli_emulator
    control.reset("demo")
    return info_path, control


def run_example(*args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET")}
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=120, env=env,
                          check=False)


def test_example_runs_the_demo_sequence_with_default_v3_signing(emulator_json, tmp_path):
    info_path, control = emulator_json
    result = run_example("--emulator-json", info_path, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "issued       certificate" in result.stdout and "deleted" in result.stdout
    calls = control.calls()
    assert [call["action"] for call in calls] == DEMO_SEQUENCE
    assert {(call["signature_version"], call["status"]) for call in calls} == {("v3", 200)}
    leaf = x509.load_pem_x509_certificate((tmp_path / "cert.pem").read_bytes())
    assert leaf.subject.rfc4514_string() == "CN=www.example.com"
    assert (tmp_path / "privkey.pem").stat().st_mode & 0o777 == 0o600
    # The validation record is gone again, the order is issued.
    state = control.state()
    assert state["zones"]["1234567890123456"]["example.com"] == []
    assert [order["type"] for order in state["orders"]] == ["certificate"]


def test_example_with_v2_and_record_domain_relative_to_the_domain(emulator_json):
    info_path, control = emulator_json
    control.settings(record_domain_style="domain")
    result = run_example("--emulator-json", info_path, "--signature-algorithm", "v2")
    assert result.returncode == 0, result.stderr
    assert "TXT _dnsauth.www.example.com" in result.stdout
    assert {call["signature_version"] for call in control.calls()} == {"v2"}
