"""TLS: with the emulator's self-signed CA not trusted, real module runs fail with a clear
certificate error; they work when ca_path names the CA, or when validate_certs=false is set
explicitly."""

import json
import os

import pytest

from tests.unit.reliability._support import DEMO_KEY, DEMO_SECRET, AnsibleRunner, crash_markers

pytestmark = pytest.mark.slow

# Trust settings that would otherwise decide what "not trusted" means on this machine.
UNTRUSTED_ENV = {"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": "", "SSL_CERT_FILE": "", "SSL_CERT_DIR": ""}


@pytest.fixture(scope="module")
def results(emu, tmp_path_factory):
    emu.control.reset("demo")
    ansible = AnsibleRunner(tmp_path_factory.mktemp("tls"))
    connection = {"access_key_id": DEMO_KEY, "access_key_secret": DEMO_SECRET,
                  "cas_endpoint": emu.base_url, "ca_path": emu.ca_path}
    plain = {k: v for k, v in connection.items() if k != "ca_path"}
    wrong_ca = os.path.join(ansible.workdir, "wrong-ca.pem")
    with open(wrong_ca, "w", encoding="ascii") as handle:
        handle.write(emu.issuer_ca_pem)  # a real CA, just not the one that signed the endpoint
    cases = {
        "untrusted_package_info": ("alicloud.cas.package_info", dict(plain)),
        "untrusted_request": ("alicloud.cas.certificate_request", dict(
            plain, domain="tls.example.com", username="Jane", email="jane@example.com", phone="13800000000")),
        "wrong_ca_path": ("alicloud.cas.package_info", dict(plain, ca_path=wrong_ca)),
        "with_ca_path": ("alicloud.cas.package_info", dict(connection)),
        "validate_certs_false": ("alicloud.cas.package_info", dict(plain, validate_certs=False)),
    }
    tasks = [{"name": name, "register": name, "ignore_errors": True, module: args}
             for name, (module, args) in cases.items()]
    path = os.path.join(ansible.workdir, "results.json")
    tasks.append({"name": "save", "ansible.builtin.copy": {
        "dest": path, "content": "{{ {%s} | to_json }}" % ", ".join("'%s': %s" % (n, n) for n in cases)}})
    done = ansible.playbook([{"name": "tls", "hosts": "localhost", "gather_facts": False, "tasks": tasks}],
                            env=UNTRUSTED_ENV)
    assert done.returncode == 0, done.stdout[-3000:]
    assert crash_markers(done.stdout) == [], done.stdout[-3000:]
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    data["_calls"] = emu.control.calls()
    return data


@pytest.mark.parametrize("case", ["untrusted_package_info", "untrusted_request", "wrong_ca_path"])
def test_untrusted_certificate_fails_clearly(results, case):
    result = results[case]
    assert result["failed"]
    message = result["msg"]
    assert "TLS verification" in message and "CERTIFICATE_VERIFY_FAILED" in message.upper().replace(" ", "_"), message
    # The message says how to fix it.
    assert "ca_path" in message and "validate_certs" in message, message
    # ansible-core 2.19+ fills "exception" with "(traceback unavailable)" for any fail_json
    # without one; a real traceback would show its frames.
    assert "Traceback" not in str(result.get("exception", ""))


def test_certificate_error_is_not_retried(results):
    # A failed verification cannot heal by retrying; retries would only delay the message.
    assert "gave up after" not in results["untrusted_package_info"]["msg"]


@pytest.mark.parametrize("case", ["with_ca_path", "validate_certs_false"])
def test_trusted_ca_path_or_explicit_opt_out_works(results, case):
    result = results[case]
    assert not result.get("failed"), result
    assert result["packages"], result


def test_nothing_reached_the_emulator_without_trust(results):
    # Only the two trusted package_info runs were answered (their V1.0 quota and V2.0 instance
    # reads); a failed handshake sends no request, so certificate_request never got to list or create.
    assert {call["action"] for call in results["_calls"]} == {"DescribePackageState", "GetInstanceSummary",
                                                              "ListInstances"}
