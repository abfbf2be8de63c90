"""Bad input: malformed options of every module and of the role fail with a message naming
the option, without a traceback, and before any write reaches the emulator.

All cases run in one ansible-playbook process: module cases as tasks on localhost with
ignore_errors + register, role cases as one inventory host each (so one host's failure
does not stop the others), their failure caught by block/rescue and saved. Every case
signs with its own access key (its own emulator account and zone), so the call log tells
exactly which case made which call.
"""

import json
import os
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.unit.reliability._support import DEMO_KEY, DEMO_SECRET, crash_markers

pytestmark = pytest.mark.slow

WRITE_ACTIONS = re.compile(r"^(Create|Delete|Add|Update|Cancel|Apply)")
CONTACT = {"username": "Jane Doe", "email": "jane@example.com", "phone": "+86 138 0000 0000"}


def _csr(common_name, bits):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    request = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])).sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM).decode("ascii")


def module_cases(emu, connection):
    """case id -> (module, arguments, option the message must name).

    ``connection`` holds the CAS modules' options; dns_record gets them with its own endpoint option.
    """
    no_creds = {k: v for k, v in connection.items() if k not in ("access_key_id", "access_key_secret")}
    request = dict(connection, domain="www.example.com", **CONTACT)
    dns_connection = {("dns_endpoint" if k == "cas_endpoint" else k): v for k, v in connection.items()}
    record = dict(dns_connection, record="_dnsauth.www.example.com", type="TXT", values=["token"])
    return {
        # certificate_request: domains, wildcards, product codes, contacts, CSRs
        "request domain with a space": ("certificate_request", dict(request, domain="exa mple.com"), "domain"),
        "request domain with a scheme": ("certificate_request", dict(request, domain="https://www.example.com"), "domain"),
        "request domain with a port": ("certificate_request", dict(request, domain="www.example.com:443"), "domain"),
        "request domain with a path": ("certificate_request", dict(request, domain="www.example.com/x"), "domain"),
        "request domain is an IP": ("certificate_request", dict(request, domain="192.0.2.10"), "domain"),
        "request domain of one label": ("certificate_request", dict(request, domain="localhost"), "domain"),
        "request domain with an empty label": ("certificate_request", dict(request, domain="www..example.com"), "domain"),
        "request wildcard not first": ("certificate_request", dict(request, domain="www.*.example.com"), "domain"),
        "request partial wildcard": ("certificate_request", dict(request, domain="*www.example.com"), "domain"),
        "request wildcard with single product": ("certificate_request", dict(
            request, domain="*.example.com", product_code="digicert-free-1-free"), "product_code"),
        "request single domain with wildcard product": ("certificate_request", dict(
            request, product_code="geotrust-dv-w-starter"), "product_code"),
        "request wildcard with no product": ("certificate_request", dict(request, domain="*.example.com"), "product_code"),
        "request unknown product code": ("certificate_request", dict(request, product_code="free-please"), "product_code"),
        "request wildcard with FILE validation": ("certificate_request", dict(
            request, domain="*.example.com", product_code="geotrust-dv-w-starter", validate_type="FILE"),
            "validate_type"),
        "request email without at": ("certificate_request", dict(request, email="jane.example.com"), "email"),
        "request email without domain": ("certificate_request", dict(request, email="jane@localhost"), "email"),
        "request phone with letters": ("certificate_request", dict(request, phone="call me"), "phone"),
        "request missing applicant": ("certificate_request", dict(
            connection, domain="new.example.com"), "username"),
        "request CSR not PEM": ("certificate_request", dict(request, csr="-----BEGIN CERTIFICATE REQUEST-----\nnope\n"
                                                                         "-----END CERTIFICATE REQUEST-----\n"), "csr"),
        "request CSR for another name": ("certificate_request", dict(request, csr=_csr("other.example.com", 2048)), "csr"),
        "request CSR with a 1024-bit key": ("certificate_request", dict(request, csr=_csr("www.example.com", 1024)), "csr"),
        "request negative renew_before_days": ("certificate_request", dict(request, renew_before_days=-1),
                                               "renew_before_days"),
        "request tag without key": ("certificate_request", dict(request, tags={" ": "x"}), "tags"),
        # certificate_request, both flows: source, instances, names, key algorithm
        "request two names in V1.0": ("certificate_request", dict(
            request, domain=None, domains=["www.example.com", "api.example.com"], source="package"), "domains"),
        "request domain and domains": ("certificate_request", dict(request, domains=["api.example.com"]), "domains"),
        "request domains with a scheme": ("certificate_request", dict(
            request, domain=None, domains=["www.example.com", "https://api.example.com"]), "domains"),
        "request instance_id with package": ("certificate_request", dict(
            request, instance_id="cas-cn-emu000000001", source="package"), "instance_id"),
        "request product_code on an instance": ("certificate_request", dict(
            request, source="instance", product_code="digicert-free-1-free"), "product_code"),
        "request key_algorithm with a CSR": ("certificate_request", dict(
            request, csr=_csr("www.example.com", 2048), key_algorithm="ECC_256"), "key_algorithm"),
        "request unknown source": ("certificate_request", dict(request, source="cloud"), "source"),
        "request unknown instance_type": ("certificate_request", dict(request, instance_type="FREE"), "instance_type"),
        "request unknown key_algorithm": ("certificate_request", dict(request, key_algorithm="SM2"), "key_algorithm"),
        "request unknown instance_id": ("certificate_request", dict(request, instance_id="cas-cn-nope"),
                                        "instance_id"),
        # connection options: credentials, endpoint, TLS, timeout
        "missing credentials": ("certificate_request", dict(no_creds, domain="www.example.com", **CONTACT),
                                "access_key_id"),
        "access key without secret": ("certificate_request", dict(no_creds, access_key_id=DEMO_KEY,
                                                                  domain="www.example.com", **CONTACT),
                                      "access_key_secret"),
        "secret without access key": ("certificate_request", dict(no_creds, access_key_secret=DEMO_SECRET,
                                                                  domain="www.example.com", **CONTACT),
                                      "access_key_id"),
        "STS token without access key": ("package_info", dict(no_creds, security_token="CAIS-token"),
                                         "security_token"),
        "endpoint with ftp scheme": ("certificate_request", dict(
            request, cas_endpoint=emu.base_url.replace("https://", "ftp://")), "cas_endpoint"),
        "endpoint with a path": ("certificate_request", dict(request, cas_endpoint=emu.base_url + "/api"),
                                 "cas_endpoint"),
        "DNS endpoint with a path": ("dns_record", dict(record, dns_endpoint=emu.base_url + "/api"), "dns_endpoint"),
        "timeout of zero": ("certificate_request", dict(request, timeout=0), "timeout"),
        "ca_path that does not exist": ("certificate_request", dict(request, ca_path="/nonexistent/ca.pem"), "ca_path"),
        # dns_record: TTLs, record values, names, types
        # The floor (600 s free, less on paid Alidns editions) is Alidns' to refuse: see test__alidns.
        "record TTL of zero": ("dns_record", dict(record, ttl=0), "ttl"),
        "record TTL above 2^31-1": ("dns_record", dict(record, ttl=2 ** 31), "ttl"),
        "A record value not an IPv4": ("dns_record", dict(record, type="A", values=["999.1.1.1"]), "values"),
        "AAAA record value not an IPv6": ("dns_record", dict(record, type="AAAA", values=["192.0.2.1"]), "values"),
        "TXT record value too long": ("dns_record", dict(record, values=["x" * 600]), "values"),
        "CNAME value not a host": ("dns_record", dict(record, type="CNAME", values=["not a host"]), "values"),
        "record name with an empty label": ("dns_record", dict(record, record="bad..example.com"), "record"),
        "record type unknown": ("dns_record", dict(record, type="SPF"), "type"),
        "MX record without priority": ("dns_record", dict(record, type="MX", values=["mail.example.com"]), "priority"),
        "priority on a TXT record": ("dns_record", dict(record, priority=5), "priority"),
        "record present without values": ("dns_record", {k: v for k, v in record.items() if k != "values"}, "values"),
        "record outside its zone": ("dns_record", dict(record, record="www.example.org", zone="example.com"), "record"),
        # certificate_request_info, package_info, certificate_order_info
        "info order_id zero": ("certificate_request_info", dict(connection, order_id=0), "order_id"),
        "info order_id not a number": ("certificate_request_info", dict(connection, order_id="abc"), "order_id"),
        "info poll_interval_max below poll_interval": ("certificate_request_info", dict(
            connection, order_id=1, poll_interval=10, poll_interval_max=5), "poll_interval_max"),
        "info wait_timeout zero": ("certificate_request_info", dict(connection, order_id=1, wait_timeout=0),
                                   "wait_timeout"),
        "info unknown wait_for state": ("certificate_request_info", dict(connection, order_id=1, wait_for=["done"]),
                                        "wait_for"),
        "package_info unknown product code": ("package_info", dict(connection, product_codes=["nope"]), "product_codes"),
        "order_info unknown status": ("certificate_order_info", dict(connection, status="WEIRD"), "status"),
    }


def role_cases(emu):
    """case id -> (role variables, option the message must name)."""
    return {
        "role domain with a space": ({"dv_certificate_domains": ["bad domain.example.com"]}, "domain"),
        "role no domains": ({"dv_certificate_domains": []}, "dv_certificate_domains"),
        "role validate_type unknown": ({"dv_certificate_validate_type": "HTTP"}, "dv_certificate_validate_type"),
        "role wildcard with single product": ({"dv_certificate_domains": ["*.example.com"]}, "product_code"),
        "role email malformed": ({"dv_certificate_email": "nope"}, "email"),
        "role phone malformed": ({"dv_certificate_phone": "call me"}, "phone"),
        "role FILE validation without webroot": ({"dv_certificate_validate_type": "FILE"}, "webroot"),
        "role CAS endpoint with ftp scheme": ({"dv_certificate_cas_endpoint": emu.base_url.replace("https", "ftp")},
                                              "cas_endpoint"),
        "role DNS TTL of zero": ({"dv_certificate_dns_ttl": 0}, "ttl"),
    }


def _host(case):
    return re.sub(r"[^a-z0-9]+", "_", case.lower())


def _localise(value, zone):
    """The case's own zone instead of example.com, everywhere in its arguments."""
    if isinstance(value, str):
        return value.replace("example.com", zone)
    if isinstance(value, dict):
        return {key: _localise(item, zone) for key, item in value.items()}
    if isinstance(value, list):
        return [_localise(item, zone) for item in value]
    return value


def _identity(index):
    """Account, access key, secret and zone of case ``index``."""
    return ("3%015d" % index, "LTAIbadinputcase%03d" % index, "BadInputCaseSecret%03dxyz" % index,
            "c%02d.example.net" % index)


def _case_ids():
    class _Emu:
        base_url = "https://127.0.0.1:1"
        ca_path = None
    fake = _Emu()
    return list(module_cases(fake, {"access_key_id": "", "access_key_secret": "", "cas_endpoint": "", "ca_path": ""})) + \
        list(role_cases(fake))


@pytest.fixture(scope="module")
def outcome(emu, tmp_path_factory):
    from tests.unit.reliability._support import AnsibleRunner

    emu.control.reset("demo")
    ansible = AnsibleRunner(tmp_path_factory.mktemp("bad-input"))
    connection = {"access_key_id": DEMO_KEY, "access_key_secret": DEMO_SECRET,
                  "cas_endpoint": emu.base_url, "ca_path": emu.ca_path}
    modules = module_cases(emu, connection)
    roles = role_cases(emu)
    results_dir = os.path.join(ansible.workdir, "results")
    os.makedirs(results_dir)
    keys = {}
    for index, case in enumerate(list(modules) + list(roles)):
        account, key, secret, zone = _identity(index)
        emu.control.add_account(account, key, secret)
        emu.control.add_zone(account, zone)
        # Quota as on the demo account: a case must fail on its input, not on a missing plan.
        emu.control.set_quota(account, "digicert-free-1-free", 20, 0)
        emu.control.set_quota(account, "geotrust-dv-w-starter", 5, 0)
        keys[case] = key

    def credentials(args, index):
        """The case's own key in place of the demo key; cases without a key or secret keep that."""
        _account, key, secret, zone = _identity(index)
        args = _localise(args, zone)
        if args.get("access_key_id") == DEMO_KEY:
            args["access_key_id"] = key
        if args.get("access_key_secret") == DEMO_SECRET:
            args["access_key_secret"] = secret
        return args

    tasks = []
    for index, (case, (module, args, _option)) in enumerate(modules.items()):
        tasks.append({"name": case, "register": "case_%d" % index, "ignore_errors": True,
                      "alicloud.cas.%s" % module: credentials(args, index)})
    tasks.append({"name": "save", "ansible.builtin.copy": {
        "dest": os.path.join(results_dir, "modules.json"),
        "content": "{{ {%s} | to_json }}" % ", ".join("'%d': case_%d" % (i, i) for i in range(len(modules)))}})

    role_hosts = {}
    for offset, (case, (variables, _option)) in enumerate(roles.items()):
        index = len(modules) + offset
        _account, key, secret, zone = _identity(index)
        host_vars = {
            "dv_certificate_domains": ["www.%s" % zone],
            "dv_certificate_cert_dir": os.path.join(ansible.workdir, "certs", _host(case)),
            "dv_certificate_cas_endpoint": emu.base_url, "dv_certificate_dns_endpoint": emu.base_url,
            "dv_certificate_ca_path": emu.ca_path, "dv_certificate_access_key_id": key,
            "dv_certificate_access_key_secret": secret, "dv_certificate_email": CONTACT["email"],
            "dv_certificate_phone": CONTACT["phone"], "dv_certificate_username": CONTACT["username"],
        }
        host_vars.update(_localise(variables, zone))
        role_hosts[_host(case)] = host_vars
    ansible.write_inventory({"all": {"hosts": {"localhost": {}}}, "role_cases": {"hosts": role_hosts}})
    # One play per role case: the role does its API work once per play, with the settings
    # of the play's first host, so hosts with settings of their own need plays of their own.
    role_plays = [{"name": "role case", "hosts": host, "gather_facts": False, "tasks": [{
        "name": "apply the role",
        "block": [{"name": "role", "ansible.builtin.include_role": {"name": "alicloud.cas.dv_certificate"}}],
        "rescue": [{"name": "save the failure", "ansible.builtin.copy": {
            "dest": os.path.join(results_dir, "{{ inventory_hostname }}.json"),
            "content": "{{ ansible_failed_result | to_json }}"}}],
    }]} for host in role_hosts]
    done = ansible.playbook([
        {"name": "module cases", "hosts": "localhost", "gather_facts": False, "tasks": tasks}] + role_plays,
        args=["--forks", "10"])

    with open(os.path.join(results_dir, "modules.json"), encoding="utf-8") as handle:
        saved = json.load(handle)
    results = {case: saved[str(index)] for index, case in enumerate(modules)}
    for case in roles:
        path = os.path.join(results_dir, _host(case) + ".json")
        results[case] = json.load(open(path, encoding="utf-8")) if os.path.exists(path) else {"failed": False}
    expected = {case: option for case, (_m, _a, option) in modules.items()}
    expected.update({case: option for case, (_v, option) in roles.items()})
    return {"run": done, "results": results, "expected": expected, "calls": emu.control.calls(), "keys": keys}


def test_at_least_30_cases_and_a_clean_run(outcome):
    assert len(outcome["expected"]) >= 30
    assert outcome["run"].returncode == 0, outcome["run"].stdout[-3000:]
    assert crash_markers(outcome["run"].stdout) == [], outcome["run"].stdout[-3000:]


@pytest.mark.parametrize("case", _case_ids())
def test_case_fails_naming_the_option(outcome, case):
    result = outcome["results"][case]
    option = outcome["expected"][case]
    assert result.get("failed"), "%s did not fail: %s" % (case, result)
    message = result.get("msg") or ""
    assert option in message, "%s: %r does not name %s" % (case, message, option)
    assert "Traceback" not in str(result.get("exception", "")) and "module_stderr" not in result, result


@pytest.mark.parametrize("case", _case_ids())
def test_case_made_no_write_call(outcome, case):
    key = outcome["keys"][case]
    writes = [call["action"] for call in outcome["calls"]
              if call["access_key_id"] == key and WRITE_ACTIONS.match(call["action"] or "")]
    assert writes == []


def test_only_known_gaps_wrote(outcome):
    # Belt and braces: no write at all came from any key outside the cases' own.
    case_keys = set(outcome["keys"].values())
    writes = [call for call in outcome["calls"] if WRITE_ACTIONS.match(call["action"] or "")]
    assert all(call["access_key_id"] in case_keys for call in writes), writes
