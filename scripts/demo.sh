#!/usr/bin/env bash
# make demo: issue a DV certificate for www.example.com through the alicloud.cas.dv_certificate
# role, against the local CAS/Alidns emulator, then show what was issued and which API calls
# it took. Run it again to see the second run call nothing.
#
#   scripts/demo.sh            (or: make demo)
#
# Everything it writes goes under .cache/demo/ (gitignored). It leaves nothing running:
# the emulator is stopped on exit, also on failure or Ctrl-C.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

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

# Fresh output each time, so the demo always shows a real issuance.
rm -rf "$WORK"
mkdir -p "$WORK/emulator" "$WORK/ansible/tmp"

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

say "Starting the CAS/Alidns emulator on 127.0.0.1 (demo account, zone example.com, 20 free certificates)"
"$PY" -m tests.emulator --seed demo --state-dir "$WORK/emulator" \
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
export DEMO_CERT_DIR="$WORK/certs"

run_play() {
    ansible-playbook -i docs/examples/inventory.yml docs/examples/demo.yml \
        -e "demo_endpoint=$ENDPOINT" -e "demo_ca_path=$CA_PATH"
}

say "Running docs/examples/demo.yml: the alicloud.cas.dv_certificate role for www.example.com"
run_play

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
}
print("\nAPI calls it took: %d" % len(calls))
for index, call in enumerate(calls, start=1):
    status = "" if call.get("status") == 200 else "  (HTTP %s)" % call.get("status")
    print("  %2d. %-7s %-26s %s%s" % (index, call.get("product"), call.get("action"),
                                      PURPOSE.get(call.get("action"), ""), status))
with urllib.request.urlopen(urllib.request.Request(control_url + "/calls/clear", data=b"{}", method="POST"),
                            context=context):
    pass
PYEOF

say "Running the same play again: the certificate is still good, so nothing is called or changed"
run_play | tail -n 4
"$PY" - "$CONTROL_URL" "$CA_PATH" <<'PYEOF'
import json, ssl, sys, urllib.request
control_url, ca_path = sys.argv[1:3]
context = ssl.create_default_context(cafile=ca_path)
with urllib.request.urlopen(control_url + "/calls", context=context) as answer:
    print("API calls on the second run: %d" % len(json.load(answer)["calls"]))
PYEOF

stop_emulator
say "Done. The emulator is stopped; the files stay in ${DEMO_CERT_DIR#"$ROOT"/}/ until the next demo."
echo "Next: point docs/examples/demo.yml at the real service (drop demo_endpoint/demo_ca_path, export"
echo "your own ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET) and read roles/dv_certificate/README.md."
