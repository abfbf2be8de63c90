#!/usr/bin/env bash
# Check that alicloud.cas can go into an execution environment (`make ee`).
#
#   1. build the collection tarball;
#   2. stage tests/ee/execution-environment.yml with the tarball in a temporary dir
#      and run `ansible-builder create` (no image is built, no network is used);
#   3. assert the build context holds the Containerfile, the galaxy requirements,
#      the builder scripts and the tarball;
#   4. install the tarball offline and run the builder's own introspect script on it,
#      exactly as the image build would, and assert it finds this collection's Python
#      requirements from meta/execution-environment.yml.
#
# Environment: VENV (default .venv). Exit status 0 when every check passes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$(realpath -m "${VENV:-.venv}")"
export PATH="$VENV/bin:$PATH"
export ANSIBLE_HOME="${ANSIBLE_HOME:-$ROOT/.cache/ansible/home}"
export ANSIBLE_LOCAL_TEMP="${ANSIBLE_LOCAL_TEMP:-$ROOT/.cache/ansible/tmp}"
export ANSIBLE_NOCOLOR=1
mkdir -p "$ANSIBLE_HOME" "$ANSIBLE_LOCAL_TEMP"

for tool in ansible-galaxy ansible-builder; do
    command -v "$tool" >/dev/null || { echo "ee-check: $tool not found (run make venv)" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/alicloud-cas-ee.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
fail=0
check() {  # check DESCRIPTION COMMAND...
    local what="$1"; shift
    if "$@"; then echo "  ok   $what"; else echo "  FAIL $what"; fail=1; fi
}

echo "== ee-check: building the collection"
ansible-galaxy collection build --output-path "$WORK/dist" . >/dev/null
tarball="$(ls "$WORK"/dist/alicloud-cas-*.tar.gz)"
echo "   $(basename "$tarball")"

echo "== ee-check: ansible-builder create ($(ansible-builder --version))"
mkdir -p "$WORK/def"
cp tests/ee/execution-environment.yml "$WORK/def/execution-environment.yml"
cp "$tarball" "$WORK/def/alicloud-cas.tar.gz"
ansible-builder create -f "$WORK/def/execution-environment.yml" -c "$WORK/context" \
    --output-filename Containerfile -v 1

ctx="$WORK/context"
echo "== ee-check: build context"
check "Containerfile exists" test -s "$ctx/Containerfile"
check "Containerfile uses the declared base image" grep -q 'EE_BASE_IMAGE="quay.io/fedora/fedora' "$ctx/Containerfile"
check "Containerfile installs collections from requirements.yml" \
    grep -q 'ansible-galaxy collection install .*-r requirements.yml' "$ctx/Containerfile"
check "Containerfile introspects collection dependencies" grep -q 'introspect.py introspect' "$ctx/Containerfile"
check "_build/requirements.yml names the collection tarball" \
    grep -q 'collections/alicloud-cas.tar.gz' "$ctx/_build/requirements.yml"
check "_build/collections/alicloud-cas.tar.gz is the built tarball" \
    cmp -s "$tarball" "$ctx/_build/collections/alicloud-cas.tar.gz"
for script in assemble check_ansible check_galaxy entrypoint install-from-bindep introspect.py pip_install; do
    check "_build/scripts/$script" test -s "$ctx/_build/scripts/$script"
done

echo "== ee-check: dependency introspection of the installed collection"
ANSIBLE_COLLECTIONS_PATH="$WORK/collections" ansible-galaxy collection install --offline --no-deps -p "$WORK/collections" "$tarball" >/dev/null
check "meta/execution-environment.yml is in the tarball" \
    test -f "$WORK/collections/ansible_collections/alicloud/cas/meta/execution-environment.yml"
python "$ctx/_build/scripts/introspect.py" introspect "$WORK/collections" \
    --write-pip "$WORK/pip.txt" --write-bindep "$WORK/bindep.txt" > "$WORK/introspect.log"
sed 's/^/   /' "$WORK/introspect.log"
while read -r req; do
    [[ -z "$req" || "$req" == \#* ]] && continue
    name="${req%%[<>=!~ ;[]*}"
    check "introspection yields Python requirement $name" grep -qi "^$name" "$WORK/pip.txt"
done < requirements.txt
if [[ -s bindep.txt ]]; then
    check "introspection yields the bindep entries" test -s "$WORK/bindep.txt"
fi

if [[ $fail -ne 0 ]]; then
    echo "ee-check: FAILED" >&2
    exit 1
fi
echo "ee-check: OK (build context valid; no image was built)"
