"""Secrets: the STS token and the access key secret never show, in any encoding, in a module
result, in the output of ansible-playbook -vvvv, in the Ansible log, or in any file a run
leaves behind (the key file, mode 0600, aside).

The token is really sent, so each test can fail: with a wrong secret the gateway answers
SignatureDoesNotMatch and quotes its string to sign, in which the token is URL-encoded
twice, exactly as Alibaba Cloud's gateway does. The token comes once from the module
options and once from the environment (ALIBABA_CLOUD_SECURITY_TOKEN), which Ansible's
no_log does not know about."""

import json
import os
import stat
import urllib.parse

import pytest

from tests.unit.reliability._support import DEMO_ACCOUNT, DEMO_KEY, DEMO_SECRET, crash_markers

pytestmark = pytest.mark.slow

STS_KEY = "STS.NUgYrLnoC37mZZCNnAbez1"
STS_SECRET = "StsSecretZr8pW3kQ9xLm2VbT6nY4cA"
WRONG_SECRET = "WrongSecretQ4vN8mK2xT7pL9wR3bZ"
# Real STS tokens are base64 with + / =; they must not leak in URL-encoded form either.
STS_TOKEN = "CAIS+token/Zq9XvB3mK7wR2tY8pL5nD1sF4gH6jJ0=="
DOMAIN = "secret.example.com"


def _forms(secret):
    """Spellings under which a secret could leak: as is, URL-encoded once (%20 or +) and
    twice (the gateway's string to sign), JSON-escaped."""
    once = urllib.parse.quote(secret, safe="")
    forms = {secret, once, urllib.parse.quote(once, safe=""), urllib.parse.quote_plus(secret),
             json.dumps(secret)[1:-1]}
    return sorted(forms)


def _files(*roots):
    for root in roots:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                yield os.path.join(folder, name)


def _leaks(needles, sources):
    return [(what, where) for what, forms in needles.items() for where, text in sources.items()
            if any(form in text for form in forms)]


def _run_rejected(emu, ansible, args, env):
    """One CAS and one Alidns task signed with the wrong secret, at -vvvv with a log file.

    Returns (run, registered results, every text the run left behind).
    """
    emu.control.reset("demo")
    emu.control.add_sts(DEMO_ACCOUNT, STS_KEY, STS_SECRET, STS_TOKEN, expired=False)
    outputs = os.path.join(ansible.workdir, "outputs")
    os.makedirs(outputs)
    log_path = os.path.join(outputs, "ansible.log")
    results_path = os.path.join(outputs, "results.json")
    tasks = [
        {"name": "CAS", "register": "cas_result", "ignore_errors": True,
         "alicloud.cas.package_info": dict(args, cas_endpoint=emu.base_url, ca_path=emu.ca_path)},
        {"name": "Alidns", "register": "dns_result", "ignore_errors": True,
         "alicloud.cas.dns_record": dict(args, dns_endpoint=emu.base_url, ca_path=emu.ca_path,
                                         record="_dnsauth." + DOMAIN, type="TXT", values=["v"])},
        {"name": "save", "ansible.builtin.copy": {
            "dest": results_path, "content": "{{ {'cas': cas_result, 'dns': dns_result} | to_json }}"}},
    ]
    play = [{"name": "secrets", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    run = ansible.playbook(play, args=["-vvvv"], env=dict(env, ANSIBLE_LOG_PATH=log_path, ANSIBLE_PIPELINING="0"))
    assert run.returncode == 0, run.stdout[-4000:]
    assert crash_markers(run.stdout) == []
    with open(results_path, encoding="utf-8") as handle:
        results = json.load(handle)
    sources = {"output": run.stdout}
    for path in _files(outputs, os.path.join(ansible.workdir, "ansible-local"),
                       os.path.join(ansible.workdir, "ansible-remote"), os.path.join(ansible.workdir, "ansible-home"),
                       ansible.home):
        with open(path, "rb") as handle:
            sources[path] = handle.read().decode("utf-8", "replace")
    assert os.path.getsize(log_path) > 0
    return run, results, sources


def _assert_rejected_without_leaks(emu, run, results, sources):
    # The gateway really saw the token and quoted it back: the echo is there to leak.
    rejected = [call for call in emu.control.calls() if call.get("error_code") == "SignatureDoesNotMatch"]
    assert len(rejected) >= 2, emu.control.calls()
    for product in ("cas", "dns"):
        result = results[product]
        assert result["failed"] and result["error"]["code"] == "SignatureDoesNotMatch", result
        assert "string to sign is: <removed" in result["error"]["message"], result
    needles = {"STS token": _forms(STS_TOKEN), "access key secret": _forms(WRONG_SECRET) + _forms(STS_SECRET)}
    assert _leaks(needles, sources) == []
    # The run was really verbose (so the check above means something): module results are shown.
    assert "SignatureDoesNotMatch" in run.stdout and "ESTABLISH LOCAL CONNECTION" in run.stdout


# V3 carries the token in a header, which the gateway quotes in its canonical request.
@pytest.mark.parametrize("signature_version", ["v2", "v3"])
def test_token_from_options_never_shows_when_the_gateway_quotes_it(emu, ansible, signature_version):
    args = {"access_key_id": STS_KEY, "access_key_secret": WRONG_SECRET, "security_token": STS_TOKEN,
            "signature_version": signature_version}
    run, results, sources = _run_rejected(emu, ansible, args, {})
    _assert_rejected_without_leaks(emu, run, results, sources)
    if signature_version == "v3":
        assert "canonical request is: <removed" in results["cas"]["error"]["message"]


def test_token_from_the_environment_never_shows_when_the_gateway_quotes_it(emu, ansible):
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": STS_KEY, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": WRONG_SECRET,
           "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN}
    run, results, sources = _run_rejected(emu, ansible, {}, env)
    _assert_rejected_without_leaks(emu, run, results, sources)


def test_role_at_vvvv_leaks_no_secret(emu, ansible):
    """Two hosts share the domain: the API work runs once, on localhost, and the key CAS
    generated reaches each host as a file. It is found only in the two 0600 key files,
    not in the output, the log, the temp directories or the (removed) staging directory."""
    emu.control.reset("demo")
    emu.control.add_sts(DEMO_ACCOUNT, STS_KEY, STS_SECRET, STS_TOKEN, expired=False)
    inputs = os.path.join(ansible.workdir, "inputs")  # holds the secrets on purpose: not scanned
    outputs = os.path.join(ansible.workdir, "outputs")
    # The staging directory (tempfile on the API host) is made here, so it is scanned too.
    staging_parent = os.path.join(outputs, "tmp")
    os.makedirs(inputs)
    os.makedirs(staging_parent)
    cert_root = os.path.join(outputs, "certs")
    log_path = os.path.join(outputs, "ansible.log")
    variables = os.path.join(inputs, "vars.json")
    with open(variables, "w", encoding="utf-8") as handle:
        json.dump({
            "dv_certificate_domains": [DOMAIN], "dv_certificate_cert_dir": cert_root + "/{{ inventory_hostname }}",
            "dv_certificate_email": "jane@example.com", "dv_certificate_phone": "+86 138 0000 0000",
            "dv_certificate_username": "Jane Doe", "dv_certificate_cas_endpoint": emu.base_url,
            "dv_certificate_dns_endpoint": emu.base_url, "dv_certificate_ca_path": emu.ca_path,
            "dv_certificate_access_key_id": STS_KEY, "dv_certificate_access_key_secret": STS_SECRET,
            "dv_certificate_security_token": STS_TOKEN,
        }, handle)
    ansible.write_inventory({"all": {"hosts": {"web1": {}, "web2": {}, "localhost": {}}}})
    play = [{"name": "secrets", "hosts": "web1,web2", "gather_facts": False,
             "roles": [{"role": "alicloud.cas.dv_certificate"}]}]
    # Without pipelining every module goes through a file in the remote temp directory,
    # which is one more place a secret could be left behind.
    env = {"ANSIBLE_LOG_PATH": log_path, "ANSIBLE_PIPELINING": "0", "TMPDIR": staging_parent}
    first = ansible.playbook(play, args=["-vvvv", "-e", "@" + variables], env=env)
    # The second run takes the other path (the files on disk are checked, the key included).
    second = ansible.playbook(play, args=["-vvvv", "-e", "@" + variables], env=env)

    for run in (first, second):
        assert run.returncode == 0, run.stdout[-4000:]
        assert crash_markers(run.stdout) == []
    creates = [call for call in emu.control.calls() if call["action"] == "CreateCertificateRequest"]
    assert len(creates) == 1
    key_paths = [os.path.join(cert_root, host, DOMAIN, "privkey.pem") for host in ("web1", "web2")]
    keys = []
    for key_path in key_paths:
        with open(key_path, encoding="ascii") as handle:
            keys.append(handle.read())
        assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    private_key = keys[0]
    assert "PRIVATE KEY" in private_key and keys[1] == private_key
    assert os.listdir(staging_parent) == []
    # Every base64 line of the key body: a partial or re-wrapped leak still shows one.
    key_lines = [line for line in private_key.splitlines() if line and not line.startswith("-----")]
    needles = {"access key secret": _forms(STS_SECRET), "STS token": _forms(STS_TOKEN), "private key": key_lines}

    sources = {"output of run 1": first.stdout, "output of run 2": second.stdout,
               "emulator call log": json.dumps(emu.control.calls())}
    scanned = []
    for path in _files(outputs, os.path.join(ansible.workdir, "ansible-local"),
                       os.path.join(ansible.workdir, "ansible-remote"), os.path.join(ansible.workdir, "ansible-home"),
                       ansible.home):
        if any(os.path.samefile(path, key_path) for key_path in key_paths):
            continue
        with open(path, "rb") as handle:
            sources[path] = handle.read().decode("utf-8", "replace")
        scanned.append(path)
    assert log_path in scanned and os.path.getsize(log_path) > 0
    assert any(path.endswith("fullchain.pem") for path in scanned)

    leaks = [(what, where) for what, forms in needles.items() for where, text in sources.items()
             if any(form in text for form in forms)]
    assert leaks == []
    # The run was really verbose (so the check above means something): module arguments are shown.
    assert "secret.example.com" in first.stdout and "ESTABLISH LOCAL CONNECTION" in first.stdout


def _scanned_sources(ansible, roots, skip):
    """{path: text} of every file under ``roots`` and the runner's temp and home directories, but ``skip``."""
    sources = {}
    for path in _files(*(list(roots) + [os.path.join(ansible.workdir, "ansible-local"),
                                        os.path.join(ansible.workdir, "ansible-remote"),
                                        os.path.join(ansible.workdir, "ansible-home"), ansible.home])):
        if any(os.path.exists(other) and os.path.samefile(path, other) for other in skip):
            continue
        with open(path, "rb") as handle:
            sources[path] = handle.read().decode("utf-8", "replace")
    return sources


def test_certificate_download_at_vvvv_with_diff_leaks_no_key(emu, ansible):
    """certificate_download saves the key CAS generated, alone and in an archive, at -vvvv with
    --diff and in check mode: the key is found only in its file (0640, as asked) and in the
    archive (0600), never in the output, the log, the diff or the temp directories."""
    emu.control.reset("demo")
    outputs = os.path.join(ansible.workdir, "outputs")
    files = os.path.join(outputs, "files")
    os.makedirs(files)
    log_path = os.path.join(outputs, "ansible.log")
    key_path, archive_path = os.path.join(files, "www.key"), os.path.join(files, "web.tar")
    connection = {"access_key_id": DEMO_KEY, "access_key_secret": DEMO_SECRET, "ca_path": emu.ca_path}
    single = {"domain": DOMAIN, "wait_timeout": 60, "poll_interval": 0.5,
              "fullchain_dest": os.path.join(files, "www.pem"), "privatekey_dest": key_path, "privatekey_mode": "0640"}
    batch = {"certificates": [{"name": "www", "domain": DOMAIN}], "wait_timeout": 60, "poll_interval": 0.5,
             "archives": [{"dest": archive_path, "members": [{"certificate": "www", "dir": DOMAIN}]}]}
    tasks = [
        {"name": "Order", "register": "ordered", "alicloud.cas.certificate_request": {
            "domain": DOMAIN, "username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}},
        {"name": "Publish", "alicloud.cas.dns_record": {
            "record": "{{ ordered.validation.fqdn }}", "type": "TXT", "values": ["{{ ordered.validation.value }}"]}},
        {"name": "Save (check)", "check_mode": True, "alicloud.cas.certificate_download": single},
        {"name": "Save", "register": "saved", "alicloud.cas.certificate_download": single},
        {"name": "Save again (check)", "check_mode": True, "alicloud.cas.certificate_download": single},
        {"name": "Bundle", "register": "bundled", "alicloud.cas.certificate_download": batch},
        {"name": "Bundle again (check)", "check_mode": True, "alicloud.cas.certificate_download": batch},
        {"name": "results", "ansible.builtin.copy": {
            "dest": os.path.join(outputs, "results.json"), "content": "{{ {'saved': saved, 'bundled': bundled} | to_json }}"}},
    ]
    play = [{"name": "download", "hosts": "localhost", "gather_facts": False, "tasks": tasks, "module_defaults": {
        "group/alicloud.cas.cas": dict(connection, cas_endpoint=emu.base_url),
        "group/alicloud.cas.alidns": dict(connection, dns_endpoint=emu.base_url)}}]
    run = ansible.playbook(play, args=["-vvvv", "--diff"], env={"ANSIBLE_LOG_PATH": log_path, "ANSIBLE_PIPELINING": "0"})
    assert run.returncode == 0, run.stdout[-4000:]
    assert crash_markers(run.stdout) == []

    with open(key_path, encoding="ascii") as handle:
        private_key = handle.read()
    assert "PRIVATE KEY" in private_key
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o640 and stat.S_IMODE(os.stat(archive_path).st_mode) == 0o600
    with open(os.path.join(outputs, "results.json"), encoding="utf-8") as handle:
        results = json.load(handle)
    assert results["saved"]["changed"] and results["bundled"]["changed"]
    # The diff really was made (so the scan below covers it): paths and modes, no content.
    assert '"mode": "0640"' in run.stdout and key_path in run.stdout and archive_path in run.stdout

    key_lines = [line for line in private_key.splitlines() if line and not line.startswith("-----")]
    sources = {"output": run.stdout}
    sources.update(_scanned_sources(ansible, [outputs], skip=[key_path, archive_path]))
    assert log_path in sources and any(path.endswith("www.pem") for path in sources)
    assert _leaks({"private key": key_lines}, sources) == []
    assert "ESTABLISH LOCAL CONNECTION" in run.stdout


def test_certificate_deployment_at_vvvv_with_diff_leaks_no_secret(emu, ansible):
    """certificate_deployment with an STS identity on the international site, where CLB refuses to
    wrap the CAS certificate and the module uploads the certificate and the private key that CAS
    holds (the PEM fallback): in check mode, for real, and on a rerun (which reads the PEM again to
    recognise the copy), at -vvvv with --diff. Neither the key, the access key secret nor the
    STS token shows in the output, the log, the results or the temp directories; the key crossed
    the wire only in the form body of UploadServerCertificate."""
    from tests.emulator import certificates

    emu.control.reset("demo")
    emu.control.add_sts(DEMO_ACCOUNT, STS_KEY, STS_SECRET, STS_TOKEN, expired=False)
    emu.control.settings(cas_site="international")
    emu.control._call("POST", "products/clb/settings", {"international_wrap_refused": True})
    created = emu.control._post("orders/bulk", account_id=DEMO_ACCOUNT, count=2, domain_format="deploy{index}.example.com")
    with emu.state.lock:
        old_id, new_id = [int(emu.state.orders[order_id].cert_id) for order_id in created["order_ids"]]
        private_key = certificates.find_certificate(emu.state, DEMO_ACCOUNT, new_id).private_key_pem
    assert "PRIVATE KEY" in private_key
    emu.control._call("POST", "products/clb/load_balancers", {
        "region": "ap-southeast-1", "load_balancer_id": "lb-secret", "listeners": [{"port": 443, "certificate_id": old_id}]})
    emu.control._call("POST", "products/cdn/domains", {"domain": "deploy1.example.com", "https": False})
    outputs = os.path.join(ansible.workdir, "outputs")
    os.makedirs(outputs)
    log_path = os.path.join(outputs, "ansible.log")
    deployment = {
        "site": "international", "certificate_id": str(new_id), "cas_endpoint": emu.base_url,
        "cdn_endpoint": emu.base_url, "clb_endpoint": emu.base_url, "ca_path": emu.ca_path,
        "access_key_id": STS_KEY, "access_key_secret": STS_SECRET, "security_token": STS_TOKEN,
        # force: the bulk orders share one key and name; the listener's names are the old certificate's.
        "targets": [{"product": "clb", "region": "ap-southeast-1", "load_balancer_id": "lb-secret", "listener_port": 443,
                     "force": True},
                    {"product": "cdn", "domain": "deploy1.example.com", "enable_https": True}],
    }
    tasks = [
        {"name": "Deploy (check)", "check_mode": True, "register": "checked",
         "alicloud.cas.certificate_deployment": deployment},
        {"name": "Deploy", "register": "deployed", "alicloud.cas.certificate_deployment": deployment},
        {"name": "Deploy again", "register": "again", "alicloud.cas.certificate_deployment": deployment},
        {"name": "results", "ansible.builtin.copy": {
            "dest": os.path.join(outputs, "results.json"),
            "content": "{{ {'checked': checked, 'deployed': deployed, 'again': again} | to_json }}"}},
    ]
    play = [{"name": "deploy", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    run = ansible.playbook(play, args=["-vvvv", "--diff"], env={"ANSIBLE_LOG_PATH": log_path, "ANSIBLE_PIPELINING": "0"})
    assert run.returncode == 0, run.stdout[-4000:]
    assert crash_markers(run.stdout) == []
    with open(os.path.join(outputs, "results.json"), encoding="utf-8") as handle:
        results = json.load(handle)
    assert results["checked"]["changed"] and results["deployed"]["changed"], results
    assert not results["again"]["changed"], results["again"]
    assert results["deployed"]["targets"][0]["uploaded"] == "pem", results["deployed"]
    # The fallback really carried the key (so the scan below means something), in the body only.
    uploads = [c for c in emu.control.calls() if c["action"] == "UploadServerCertificate" and c["status"] == 200]
    assert len(uploads) == 1 and "PrivateKey" in uploads[0]["body_params"]
    assert "PrivateKey" not in uploads[0]["query_params"]
    key_reads = [c for c in emu.control.calls() if c["action"] == "GetUserCertificateDetail"]
    assert key_reads and '"before"' in run.stdout and "deploy1.example.com" in run.stdout

    key_lines = [line for line in private_key.splitlines() if line and not line.startswith("-----")]
    needles = {"private key": key_lines, "access key secret": _forms(STS_SECRET), "STS token": _forms(STS_TOKEN)}
    sources = {"output": run.stdout, "emulator call log": json.dumps(emu.control.calls())}
    sources.update(_scanned_sources(ansible, [outputs], skip=[]))
    assert log_path in sources
    assert _leaks(needles, sources) == []
    assert "ESTABLISH LOCAL CONNECTION" in run.stdout
