#!/usr/bin/env bash
# make demo: issue a DV certificate for www.example.com through the alicloud.cas.dv_certificate
# role, against the local emulator (CAS, Alidns and the CDN), deploy it to the CDN domain
# www.example.com, then show what was issued, which API calls it took, that a second run makes
# no CAS call and only reads the CDN domain, and a TLS handshake with the emulator's edge that
# gets the issued certificate for www.example.com.
#
#   scripts/demo.sh            (or: make demo)
#   DEMO_ACCOUNT=v2 scripts/demo.sh   (or: make demo DEMO_ACCOUNT=v2)
#
# DEMO_ACCOUNT=v2 runs on an account of CAS V2.0 (no V1.0 quota, four unused subscription
# instances, as every account since 2026-02-14): the certificate is applied for on a free TEST
# instance with the modules run ad hoc, one command per step, instead of through the role.
#
# Everything it writes goes under .cache/demo/ (gitignored). It leaves nothing running:
# the emulator is stopped on exit, also on failure or Ctrl-C. The role's demo (v1) starts from
# fresh files each time: each demo's emulator is a new, empty account, and the CDN takes the
# certificate by the CAS id of the emulator that issued it; within one demo the second run of
# the play shows the rerun that costs no CAS call. With DEMO_ACCOUNT=v2 the files stay between
# runs, as they would on a server: a second `make demo` finds them valid and makes no API call.
# DEMO_RESET=1 (make demo DEMO_RESET=1) deletes them first, for a new issuance. It ends by printing the line that makes this checkout usable
# as alicloud.cas from your own shell (scripts/shell.sh --print; or run `make shell`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DEMO_ACCOUNT="${DEMO_ACCOUNT:-v1}"
case "$DEMO_ACCOUNT" in
    v1) SEED=demo; SEED_TEXT="demo account, zone example.com, 20 free certificates" ;;
    v2) SEED=v2; SEED_TEXT="V2.0 account: zone example.com, no V1.0 quota, 2 test and 2 paid instances" ;;
    *) echo "DEMO_ACCOUNT must be v1 (default: V1.0 quota, through the role) or v2 (V2.0 instances), got $DEMO_ACCOUNT" >&2
       exit 2 ;;
esac

VENV="$(realpath -m "${VENV:-.venv}")"
WORK="$ROOT/.cache/demo"
EMULATOR_PID=""

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

stop_emulator() {
    if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
        kill "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
    fi
    EMULATOR_PID=""
}
trap stop_emulator EXIT
trap 'exit 130' INT TERM

say "Preparing the Python environment ($VENV)"
scripts/venv.sh "$VENV"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"

# The emulator keeps its account in memory, so each demo starts a fresh one; the certificate
# files are kept (one directory per account type), so that a second demo shows a renewal
# check that costs nothing. DEMO_RESET=1 starts from scratch.
export DEMO_CERT_DIR="$WORK/certs-$DEMO_ACCOUNT"
if [[ "${DEMO_RESET:-0}" == 1 ]]; then
    rm -rf "$WORK"
elif [[ "$DEMO_ACCOUNT" == v1 && -d "$DEMO_CERT_DIR" ]]; then
    # The role deploys the certificate to the emulated CDN domain by its CAS id, and this
    # demo's emulator (a fresh one) never issued the files of the previous demo: start over.
    echo "Removing the files of the previous demo: this emulator's CAS never issued them, and the CDN takes the certificate by its CAS id"
    rm -rf "$WORK"
else
    rm -rf "$WORK/emulator" "$WORK/results" "$WORK/ansible"
fi
mkdir -p "$WORK/emulator" "$WORK/ansible/tmp"
if [[ -f "$DEMO_CERT_DIR/www.example.com/cert.pem" ]]; then
    echo "Keeping the files of the previous demo in ${DEMO_CERT_DIR#"$ROOT"/}/ (DEMO_RESET=1 deletes them)"
fi

# ansible-playbook finds the collection as ansible_collections/alicloud/cas; point that at
# this checkout, and keep Ansible's own files inside .cache as well.
link="$ROOT/.cache/collections/ansible_collections/alicloud/cas"
if [[ ! -L "$link" ]]; then
    mkdir -p "$(dirname "$link")"
    rm -rf "$link"
    ln -s "$ROOT" "$link"
fi
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.cache/collections"
export ANSIBLE_LOCAL_TEMP="$WORK/ansible/tmp" ANSIBLE_HOME="$WORK/ansible"
export ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-0}"

say "Starting the CAS/Alidns emulator on 127.0.0.1 ($SEED_TEXT)"
"$PY" -m tests.emulator --seed "$SEED" --state-dir "$WORK/emulator" \
    > "$WORK/emulator/stdout.log" 2> "$WORK/emulator/stderr.log" &
EMULATOR_PID=$!
for _ in $(seq 1 300); do
    [[ -s "$WORK/emulator/emulator.json" ]] && break
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
        echo "The emulator exited early:" >&2
        cat "$WORK/emulator/stderr.log" >&2
        exit 1
    fi
    sleep 0.1
done
[[ -s "$WORK/emulator/emulator.json" ]] || { echo "The emulator did not start within 30 s" >&2; exit 1; }
read -r ENDPOINT CA_PATH CONTROL_URL < <("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["base_url"], d["ca_path"], d["control_url"])' "$WORK/emulator/emulator.json")
echo "API endpoint $ENDPOINT (control API $CONTROL_URL)"

# The emulator's published demo key; with the real service, export your own key instead.
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tEmulatorDemoKey01
export ALIBABA_CLOUD_ACCESS_KEY_SECRET=EmulatorDemoSecret0123456789abc
# The five products the deploy phase talks to answer on the same URL (the role's
# dv_certificate_cdn_endpoint would do as well).
export ALIBABA_CLOUD_CDN_ENDPOINT="$ENDPOINT" ALIBABA_CLOUD_DCDN_ENDPOINT="$ENDPOINT" \
    ALIBABA_CLOUD_CLB_ENDPOINT="$ENDPOINT" ALIBABA_CLOUD_ALB_ENDPOINT="$ENDPOINT" ALIBABA_CLOUD_NLB_ENDPOINT="$ENDPOINT"

run_play() {
    ansible-playbook -i docs/examples/inventory.yml docs/examples/demo.yml \
        -e "demo_endpoint=$ENDPOINT" -e "demo_ca_path=$CA_PATH"
}

# One ad hoc module run; its result (JSON) goes to $WORK/results/$1.json, a line on the terminal.
adhoc() {
    local name="$1" module="$2" args="$3"
    mkdir -p "$WORK/results"
    # -o prints "localhost | STATE => <result as JSON>" on one line.
    ANSIBLE_NOCOLOR=1 ansible localhost -o -m "$module" -a "$args" -e "ansible_python_interpreter=$PY" \
        2> "$WORK/results/$name.stderr" | sed -n 's/^localhost | [A-Z!]* => //p' > "$WORK/results/$name.json" || true
    "$PY" - "$WORK/results/$name.json" "$name" <<'PYEOF'
import json, sys
path, name = sys.argv[1:3]
try:
    result = json.load(open(path))
except ValueError:
    sys.exit("%s: no result, see %s" % (name, path.replace(".json", ".stderr")))
state = "FAILED" if result.get("failed") else ("changed" if result.get("changed") else "ok")
detail = {k: result[k] for k in ("source", "instance_id", "phase", "record", "not_after") if result.get(k)}
print("  %-28s %-8s %s" % (name, state, " ".join("%s=%s" % item for item in detail.items())))
if result.get("failed"):
    sys.exit("  %s" % result.get("msg"))
PYEOF
}

# The V2.0 steps, each an ad hoc module: apply on a TEST instance, publish each validation
# record, then wait and save the files (the key goes from the API answer to its file only).
issue_on_instance() {
    local common="cas_endpoint=$ENDPOINT ca_path=$CA_PATH"
    local dir="$DEMO_CERT_DIR/www.example.com"
    # As the role does: a valid certificate on disk that is not yet due needs no API call.
    adhoc file_info alicloud.cas.certificate_file_info \
        "path=$dir/cert.pem privatekey_path=$dir/privkey.pem domain=www.example.com renew_before_days=30"
    if "$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(0 if r.get("exists") and not r.get("needs_renewal") else 1)' \
            "$WORK/results/file_info.json"; then
        echo "  the certificate on disk is valid and not due for renewal: nothing to request"
        return 0
    fi
    adhoc request alicloud.cas.certificate_request \
        "domain=www.example.com source=instance instance_type=TEST username='Jane Doe' email=jane@example.com phone=13800000000 $common"
    local index=0 record value records=()
    while read -r record value; do
        index=$((index + 1))
        records+=("$record $value")
        adhoc "dns_record_$index" alicloud.cas.dns_record \
            "record=$record type=TXT values=$value on_existing=keep dns_endpoint=$ENDPOINT ca_path=$CA_PATH"
    done < <("$PY" -c '
import json, sys
result = json.load(open(sys.argv[1]))
for item in result.get("validations") or []:
    print(item["fqdn"], item["value"])' "$WORK/results/request.json")
    mkdir -p "$dir"
    adhoc request_info alicloud.cas.certificate_request_info \
        "instance_id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["instance_id"])' "$WORK/results/request.json") wait=true wait_timeout=120 poll_interval=1 cert_dest=$dir/cert.pem chain_dest=$dir/chain.pem fullchain_dest=$dir/fullchain.pem privatekey_dest=$dir/privkey.pem $common"
    index=0
    for record in "${records[@]}"; do
        index=$((index + 1))
        adhoc "dns_record_${index}_absent" alicloud.cas.dns_record \
            "record=${record%% *} type=TXT values=${record#* } state=absent dns_endpoint=$ENDPOINT ca_path=$CA_PATH"
    done
}

if [[ "$DEMO_ACCOUNT" == v2 ]]; then
    say "Issuing for www.example.com on a V2.0 test instance, with the modules run ad hoc"
    issue_on_instance
else
    say "Running docs/examples/demo.yml: the alicloud.cas.dv_certificate role for www.example.com"
    run_play
fi

say "What was issued"
"$PY" - "$DEMO_CERT_DIR/www.example.com" "$CONTROL_URL" "$CA_PATH" <<'PYEOF'
import json, os, ssl, stat, sys, urllib.request
from collections import Counter

from cryptography import x509

directory, control_url, ca_path = sys.argv[1:4]
with open(os.path.join(directory, "cert.pem"), "rb") as handle:
    cert = x509.load_pem_x509_certificate(handle.read())
try:
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
except x509.ExtensionNotFound:
    sans = []
print("  subject   %s" % cert.subject.rfc4514_string())
print("  SANs      %s" % ", ".join(sans))
print("  issuer    %s" % cert.issuer.rfc4514_string())
print("  valid     %s  to  %s" % (cert.not_valid_before_utc.strftime("%Y-%m-%d %H:%M UTC"),
                                 cert.not_valid_after_utc.strftime("%Y-%m-%d %H:%M UTC")))
print("  files     %s/" % os.path.relpath(directory))
for name in ("cert.pem", "chain.pem", "fullchain.pem", "privkey.pem"):
    mode = stat.S_IMODE(os.stat(os.path.join(directory, name)).st_mode)
    print("              %-14s %04o" % (name, mode))

context = ssl.create_default_context(cafile=ca_path)
with urllib.request.urlopen(control_url + "/calls", context=context) as answer:
    calls = json.load(answer)["calls"]
# What each call is for, in the order the role makes them.
PURPOSE = {
    "ListUserCertificateOrder": "look for an existing order for the domain",
    "DescribePackageState": "check the remaining quota before ordering",
    "CreateCertificateRequest": "place the order (spends one unit of quota)",
    "DescribeCertificateState": "read the order's state and validation details",
    "DescribeDomains": "find the Alidns zone of the validation record",
    "DescribeDomainRecords": "read the record set",
    "AddDomainRecord": "publish the validation TXT record",
    "DeleteDomainRecord": "remove the validation record again",
    "DescribeSubDomainRecords": "read the validation record set",
    "GetMainDomainName": "find the zone of the validation record",
    "ListInstances": "look for an instance that holds or fits the domain",
    "GetInstanceDetail": "read the instance: application, validation records, certificate",
    "ListContact": "look for the applicant among the account's contacts",
    "CreateContact": "add the applicant as a contact (once per account)",
    "UpdateInstance": "fill in the application on the instance",
    "ApplyCertificate": "submit the application (spends the instance)",
    "GetUserCertificateDetail": "read the issued certificate (to save it; to check its names before deploying)",
    "DescribeDomainCertificateInfo": "read which certificate the CDN domain serves",
    "SetCdnDomainSSLCertificate": "point the CDN domain at the new certificate (HTTPS on)",
}
print("\nAPI calls it took: %d" % len(calls))
if not calls:
    print("  none: the certificate an earlier `make demo` saved in %s is still valid, so nothing was\n"
          "  asked of the API (the emulator starts empty each time, the files stay). For a new issuance:\n"
          "  make demo DEMO_RESET=1" % os.path.relpath(directory))
for index, call in enumerate(calls, start=1):
    status = "" if call.get("status") == 200 else "  (HTTP %s)" % call.get("status")
    print("  %2d. %-7s %-26s %s%s" % (index, call.get("product"), call.get("action"),
                                      PURPOSE.get(call.get("action"), ""), status))
with urllib.request.urlopen(urllib.request.Request(control_url + "/calls/clear", data=b"{}", method="POST"),
                            context=context):
    pass
PYEOF

if [[ "$DEMO_ACCOUNT" == v2 ]]; then
    say "Running the same steps again: the certificate on disk is valid, so nothing is requested"
    issue_on_instance
else
    say "Running the same play again: the certificate is still good, so CAS is not asked and the CDN domain only read"
    run_play | tail -n 4
fi
"$PY" - "$CONTROL_URL" "$CA_PATH" <<'PYEOF'
import json, ssl, sys, urllib.request
control_url, ca_path = sys.argv[1:3]
context = ssl.create_default_context(cafile=ca_path)
with urllib.request.urlopen(control_url + "/calls", context=context) as answer:
    calls = json.load(answer)["calls"]
writes = [c["action"] for c in calls if not c["action"].startswith(("List", "Get", "Describe"))]
cas = [c["action"] for c in calls if c.get("version") == "2020-04-07"]
print("API calls on the second run: %d (%s; writes: %s; CAS calls: %s)"
      % (len(calls), ", ".join(c["action"] for c in calls) or "none", ", ".join(writes) or "none", len(cas)))
PYEOF

if [[ "$DEMO_ACCOUNT" == v1 ]]; then
    say "What the CDN domain www.example.com serves: a TLS handshake with the emulator's edge"
    "$PY" - "$WORK/emulator/emulator.json" "$DEMO_CERT_DIR/www.example.com" <<'PYEOF'
import json, os, socket, ssl, sys, tempfile, urllib.request

from cryptography import x509

info_path, directory = sys.argv[1:3]
info = json.load(open(info_path))
api = ssl.create_default_context(cafile=info["ca_path"])
with urllib.request.urlopen(info["control_url"] + "/ca", context=api) as answer:
    issuer_ca = json.load(answer)["issuer_ca_pem"]
with open(os.path.join(directory, "cert.pem"), "rb") as handle:
    issued = x509.load_pem_x509_certificate(handle.read())
with open(os.path.join(directory, "cas-certificate.json")) as handle:
    ids = json.load(handle)
# Trust only the CA that issued the demo certificate, and check the name as a browser would.
with tempfile.NamedTemporaryFile("w", suffix=".pem") as ca_file:
    ca_file.write(issuer_ca)
    ca_file.flush()
    edge = ssl.create_default_context(cafile=ca_file.name)
    with socket.create_connection(("127.0.0.1", int(info["edge_port"])), timeout=10) as sock:
        with edge.wrap_socket(sock, server_hostname="www.example.com") as tls:
            served = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
            version = tls.version()
print("  edge      127.0.0.1:%s, SNI www.example.com, %s, chain and name verified" % (info["edge_port"], version))
print("  serial    %x (served)" % served.serial_number)
print("  serial    %x (issued, %s/cert.pem)" % (issued.serial_number, os.path.relpath(directory)))
print("  CAS ids   certificate_id %s, certificate_identifier %s (cas-certificate.json)"
      % (ids["certificate_id"], ids["certificate_identifier"]))
if served.serial_number != issued.serial_number:
    sys.exit("  the CDN domain does not serve the issued certificate")
print("  the CDN domain serves the certificate the role issued")
PYEOF
fi

stop_emulator
say "Done. The emulator is stopped; the files stay in ${DEMO_CERT_DIR#"$ROOT"/}/ (make demo DEMO_RESET=1 deletes them)."
echo "Next: point docs/examples/demo.yml at the real service (drop demo_endpoint/demo_ca_path, export"
echo "your own ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET) and read roles/dv_certificate/README.md."
echo "To use this checkout as alicloud.cas (ansible-doc, ansible -m, playbooks) in your shell, run this line"
echo "(or 'make shell' for a subshell with the same settings):"
echo
VENV="$VENV" scripts/shell.sh --print
