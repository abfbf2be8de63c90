#!/usr/bin/env bash
# Documentation checks for alicloud.cas (`make docs-lint`).
#
#   1. antsibull-docs lint-collection-docs --plugin-docs, run from inside an
#      ansible_collections/alicloud/cas path (.cache/collections links to the checkout);
#   2. ansible-doc for every module and for every role with meta/argument_specs.yml,
#      failing on any warning or error it prints;
#   3. the action groups in meta/runtime.yml (`cas`, `alidns`) list exactly the modules
#      that document that product's connection fragment;
#   4. the user guide (README.md, TESTING.md, docs/*.md): every relative link points at
#      an existing file, and every alicloud.cas.NAME it mentions is a module or role
#      that exists; docs/index.md's table has a row for every module and role;
#   5. in a fresh shell (no ANSIBLE_* variable, another directory), the line that
#      scripts/shell.sh --print gives (make demo ends with it) lets ansible-doc find the
#      checkout's modules, and so does `scripts/shell.sh -- CMD` (make shell);
#   6. the ad hoc commands (`ansible localhost -m alicloud.cas...`) that README.md,
#      docs/examples.md and docs/deployment.md show run, as written, against the emulator
#      (scripts/adhoc_docs_check.py).
#
# Environment: VENV (default .venv).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
VENV="$(realpath -m "${VENV:-.venv}")"
export PATH="$VENV/bin:$PATH"
export ANSIBLE_NOCOLOR=1 NO_COLOR=1 PY_COLORS=0
export ANSIBLE_HOME="${ANSIBLE_HOME:-$ROOT/.cache/ansible/home}"
export ANSIBLE_LOCAL_TEMP="${ANSIBLE_LOCAL_TEMP:-$ROOT/.cache/ansible/tmp}"
COLLECTIONS="$ROOT/.cache/collections"
# Set explicitly so that a copy installed elsewhere (molecule puts one in
# ~/.ansible/collections) cannot shadow the checkout.
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
mkdir -p "$ANSIBLE_HOME" "$ANSIBLE_LOCAL_TEMP"

for tool in antsibull-docs ansible-doc; do
    command -v "$tool" >/dev/null || { echo "docs-check: $tool not found (run make venv)" >&2; exit 1; }
done

link="$COLLECTIONS/ansible_collections/alicloud/cas"
if [[ ! -L "$link" ]]; then
    mkdir -p "$(dirname "$link")"
    rm -rf "$link"
    ln -s "$ROOT" "$link"
fi

fail=0
note() { echo "  $*"; }

echo "== docs-check: antsibull-docs lint-collection-docs --plugin-docs ($(antsibull-docs --version 2>/dev/null | head -n1))"
if (cd "$link" && antsibull-docs lint-collection-docs --plugin-docs .); then
    note "ok   antsibull-docs lint-collection-docs"
else
    note "FAIL antsibull-docs lint-collection-docs"; fail=1
fi

echo "== docs-check: ansible-doc"
modules=()
for f in plugins/modules/*.py; do
    [[ -e "$f" ]] || continue
    name="$(basename "$f" .py)"
    [[ "$name" == __init__ ]] && continue
    modules+=("$name")
done
roles=()
for d in roles/*/; do
    [[ -d "$d" ]] || continue
    roles+=("$(basename "$d")")
done
run_doc() {  # run_doc TYPE NAME
    local out err rc=0
    out="$(mktemp)"; err="$(mktemp)"
    ansible-doc -t "$1" "alicloud.cas.$2" > "$out" 2> "$err" || rc=$?
    # ansible-core 2.21's role lookup warns about its own internal
    # ansible._protomatter collection (no MANIFEST.json); that is not about us.
    sed -i '/ansible_collections\/ansible\/_protomatter. does not have a MANIFEST.json/d' "$err"
    if [[ $rc -ne 0 ]] || grep -qE '\[(WARNING|ERROR|DEPRECATION WARNING)\]|^(WARNING|ERROR)' "$err" "$out" \
            || ! [[ -s "$out" ]]; then
        note "FAIL ansible-doc -t $1 alicloud.cas.$2 (exit $rc)"
        sed 's/^/         /' "$err" | head -n 20
        fail=1
    else
        note "ok   ansible-doc -t $1 alicloud.cas.$2 ($(wc -l < "$out") lines)"
    fi
    rm -f "$out" "$err"
}
for m in "${modules[@]}"; do run_doc module "$m"; done
for r in "${roles[@]}"; do
    if [[ -f "roles/$r/meta/argument_specs.yml" || -f "roles/$r/meta/argument_specs.yaml" ]]; then
        run_doc role "$r"
    else
        note "FAIL role $r has no meta/argument_specs.yml, so ansible-doc cannot document it"; fail=1
    fi
done
[[ ${#modules[@]} -eq 0 ]] && note "(no modules yet)"
[[ ${#roles[@]} -eq 0 ]] && note "(no roles yet)"

echo "== docs-check: action group and docs references"
python - "${modules[*]:-}" "${roles[*]:-}" <<'PY' || fail=1
import os, re, sys
import yaml

modules = set(sys.argv[1].split())
roles = set(sys.argv[2].split())
bad = 0

runtime = yaml.safe_load(open("meta/runtime.yml")) or {}
groups = runtime.get("action_groups") or {}
# One group per product: a module that documents a product's connection fragment
# (alicloud.cas.connection.cas or .alidns) is configured through that group's
# module_defaults, and only there.
for product in ("cas", "alidns"):
    group = set(groups.get(product) or [])
    fragment = "  - alicloud.cas.connection.%s\n" % product
    api_modules = {m for m in modules if fragment in open("plugins/modules/%s.py" % m, encoding="utf-8").read()}
    for m in sorted(api_modules - group):
        print("  FAIL module %s uses the %s connection options but is missing from action group %s" % (m, product, product)); bad = 1
    for m in sorted(group - api_modules):
        print("  FAIL action group %s lists %s, which is not a module with the %s connection options" % (product, m, product)); bad = 1
    if not bad:
        print("  ok   action group %s lists the %d %s modules (%s)" % (product, len(group), product, ", ".join(sorted(group))))

pages = [p for p in ("README.md", "TESTING.md") if os.path.exists(p)]
pages += sorted(os.path.join("docs", f) for f in os.listdir("docs") if f.endswith(".md")) if os.path.isdir("docs") else []
link_re = re.compile(r"\]\(([^)\s]+)\)")
name_re = re.compile(r"\balicloud\.cas\.([a-z_][a-z0-9_]*)")
known = modules | roles | {"cas", "alidns"}  # the action groups (group/alicloud.cas.cas, group/alicloud.cas.alidns)
for page in pages:
    text = open(page, encoding="utf-8").read()
    # Ignore fenced code when checking links, but not when checking names.
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    for target in link_re.findall(prose):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        resolved = os.path.normpath(os.path.join(os.path.dirname(page), path))
        if not os.path.exists(resolved):
            print("  FAIL %s links to %s, which does not exist" % (page, target)); bad = 1
    for name in sorted(set(name_re.findall(text))):
        if name not in known:
            print("  FAIL %s mentions alicloud.cas.%s, which is no module or role of the collection" % (page, name)); bad = 1
print("  %s   %d pages: links and alicloud.cas.* names" % ("ok" if not bad else "--", len(pages)))

# docs/index.md's table is where a user finds what the collection has: one row per module
# and role (a row is a line starting with "|" that names `alicloud.cas.NAME`).
if os.path.exists("docs/index.md"):
    rows = [line for line in open("docs/index.md", encoding="utf-8") if line.lstrip().startswith("|")]
    in_table = set(re.findall(r"`alicloud\.cas\.([a-z_][a-z0-9_]*)`", "".join(rows)))
    missing = sorted(modules - in_table) + sorted("role " + r for r in roles - in_table)
    if missing:
        print("  FAIL docs/index.md's table has no row for %s" % ", ".join(missing)); bad = 1
    else:
        print("  ok   docs/index.md's table has a row for each of the %d modules and %d roles" % (len(modules), len(roles)))
else:
    print("  FAIL docs/index.md is missing"); bad = 1

# The generated changelog must know every module and role (scripts/changelog-release.sh).
if os.path.exists("changelogs/changelog.yaml"):
    log = yaml.safe_load(open("changelogs/changelog.yaml")) or {}
    listed = {"module": set(), "role": set()}
    for release in (log.get("releases") or {}).values():
        for item in release.get("modules") or []:
            listed["module"].add(item["name"])
        for item in (release.get("objects") or {}).get("role") or []:
            listed["role"].add(item["name"])
    stale = ["module " + m for m in sorted(modules - listed["module"])]
    stale += ["role " + r for r in sorted(roles - listed["role"])]
    if stale:
        print("  FAIL changelogs/changelog.yaml does not list %s: run scripts/changelog-release.sh" % ", ".join(stale)); bad = 1
    else:
        print("  ok   changelogs/changelog.yaml lists every module and role")
else:
    print("  FAIL changelogs/changelog.yaml is missing: run scripts/changelog-release.sh"); bad = 1
sys.exit(bad)
PY

echo "== docs-check: the checkout is usable from a shell (scripts/shell.sh, make shell, make demo's last line)"
# A newcomer's shell: no ANSIBLE_* setting, the venv not active, a HOME with no collection
# installed (molecule installs one into ~/.ansible/collections), in another directory.
fresh_home="$(mktemp -d)"
fresh() {  # fresh COMMANDS: run them there, print the output without colour codes
    (cd / && env -i HOME="$fresh_home" PATH=/usr/local/bin:/usr/bin:/bin TERM=dumb bash -c "$1") 2>&1 \
        | sed 's/\x1b\[[0-9;]*m//g'
}
usable_line="$(VENV="$VENV" scripts/shell.sh --print)"
if fresh "ansible-doc alicloud.cas.certificate_request" | grep -q '^> MODULE alicloud.cas.certificate_request'; then
    note "FAIL ansible-doc finds alicloud.cas.certificate_request without the line, so this check proves nothing"; fail=1
fi
out="$(fresh "$usable_line && ansible-doc alicloud.cas.certificate_request")"
if grep -q "^> MODULE alicloud.cas.certificate_request ($ROOT/.cache/collections/" <<< "$out"; then
    note "ok   ansible-doc finds the checkout's modules after: $usable_line"
else
    note "FAIL ansible-doc does not find the checkout's module after: $usable_line"
    printf '%s\n' "$out" | sed 's/^/         /' | head -n 5; fail=1
fi
out="$(fresh "VENV=$(printf %q "$VENV") $(printf %q "$ROOT")/scripts/shell.sh -- ansible-doc -l alicloud.cas")"
if grep -q '^alicloud\.cas\.certificate_request ' <<< "$out"; then
    note "ok   scripts/shell.sh -- ansible-doc -l alicloud.cas lists the checkout's modules"
else
    note "FAIL scripts/shell.sh -- ansible-doc -l alicloud.cas did not list the modules"
    printf '%s\n' "$out" | sed 's/^/         /' | head -n 5; fail=1
fi
rm -rf "$fresh_home"

echo "== docs-check: the ad hoc commands of README.md, docs/examples.md and docs/deployment.md, run against the emulator"
if python scripts/adhoc_docs_check.py "$VENV/bin/python" README.md docs/examples.md docs/deployment.md 2>&1 | sed 's/^adhoc:/  adhoc:/'; then
    :
else
    fail=1
fi

if [[ $fail -ne 0 ]]; then
    echo "docs-check: FAILED" >&2
    exit 1
fi
echo "docs-check: OK"
