#!/usr/bin/env bash
# Test stages of alicloud.cas. Called by the Makefile; usable directly:
#
#   scripts/harness.sh STAGE...     run stages in order, then print a summary
#   scripts/harness.sh all          the whole suite (what `make test` runs)
#
# Stages: units target-crypto sanity lint docs integration molecule galaxy ee units-2.19 sanity-2.19
# Environment: VENV (default .venv), LEGACY_VENV (default .venv-2.19).
# Every stage runs in its own subshell, records its counts in
# .cache/results/STAGE, and the summary ends with the line
# "total: N passed, N failed, N skipped"; the exit status is non-zero when any
# stage failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

VENV="$(cd "$ROOT" && realpath -m "${VENV:-.venv}")"
LEGACY_VENV="$(cd "$ROOT" && realpath -m "${LEGACY_VENV:-.venv-2.19}")"
CACHE="$ROOT/.cache"
RESULTS="$CACHE/results"
TREE_PARENT="$CACHE/ansible-test"          # holds ansible_collections/alicloud/cas (a copy)
COLLECTIONS="$CACHE/collections"           # holds ansible_collections/alicloud/cas -> $ROOT
EMULATOR_DIR="$CACHE/emulator"

# Keep everything Ansible writes inside gitignored folders.
export ANSIBLE_LOCAL_TEMP="$CACHE/ansible/tmp"
export ANSIBLE_HOME="$CACHE/ansible/home"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
mkdir -p "$RESULTS" "$ANSIBLE_LOCAL_TEMP" "$ANSIBLE_HOME" "$EMULATOR_DIR"

# --- helpers -------------------------------------------------------------------
header() {
    printf '\n==================== [%s] %s ====================\n' "$1" "$2"
}

# record STAGE STATUS PASSED FAILED SKIPPED SECONDS NOTE
record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" > "$RESULTS/$1"
    printf '[%s] %s: %s passed, %s failed, %s skipped (%ss)%s\n' \
        "$1" "$2" "$3" "$4" "$5" "$6" "${7:+ - $7}"
}

need_venv() {
    if [[ ! -x "$1/bin/python" ]]; then
        echo "ERROR: venv $1 missing: run 'make venv' (or scripts/venv.sh)" >&2
        return 1
    fi
}

pyver() { "$1/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }
corever() { "$1/bin/python" -c 'import ansible; print(ansible.__version__)' 2>/dev/null || echo none; }
describe() {
    [[ -x "$1/bin/python" ]] || { echo "venv $1 missing"; return 0; }
    echo "Python $("$1/bin/python" -c 'import sys; print(sys.version.split()[0])'), ansible-core $(corever "$1")"
}

# The link under $COLLECTIONS (scripts/collection-link.sh makes it the same way for
# scripts/shell.sh and the changelog).
ensure_collection_link() { "$ROOT/scripts/collection-link.sh" > /dev/null; }

# sync_tree VENV -> prints the path of the ansible_collections/alicloud/cas copy
sync_tree() { "$1/bin/python" "$ROOT/scripts/sync_collection.py" "$TREE_PARENT"; }

# Offline stand-in for ansible-test's pip bootstrap script (see get_pip_standin.py).
install_get_pip() {
    local venv="$1" at_dir ver dest
    at_dir="$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')"
    ver="$(grep -Eo "pip='[0-9.]+'" "$at_dir/_internal/python_requirements.py" | head -n1 | grep -Eo '[0-9.]+')"
    if [[ -z "$ver" ]]; then
        echo "ERROR: cannot find the pip bootstrap version in $at_dir/_internal/python_requirements.py" >&2
        return 1
    fi
    grep -q "get_pip_%s.py" "$at_dir/_util/target/setup/requirements.py" || {
        echo "ERROR: ansible-test no longer uses ~/.ansible/test/cache/get_pip_X_Y.py; update install_get_pip" >&2
        return 1
    }
    dest="$HOME/.ansible/test/cache/get_pip_${ver//./_}.py"
    mkdir -p "$(dirname "$dest")"
    if [[ -f "$dest" ]] && ! grep -q "alicloud.cas harness stand-in" "$dest"; then
        echo "using existing pip bootstrap script $dest"
    elif ! cmp -s "$ROOT/scripts/get_pip_standin.py" "$dest"; then
        cp "$ROOT/scripts/get_pip_standin.py" "$dest"
        echo "installed offline pip bootstrap stand-in $dest"
    fi
}

EMULATOR_PID=""
# start_emulator VENV -> exports EMULATOR_ENDPOINT, EMULATOR_CA_PATH, EMULATOR_CONTROL_URL
start_emulator() {
    local venv="$1" out="$EMULATOR_DIR/stdout.log" i line
    if [[ ! -f "$ROOT/tests/emulator/__main__.py" ]]; then
        echo "ERROR: tests/emulator/__main__.py missing: cannot start the emulator" >&2
        return 1
    fi
    rm -f "$out" "$EMULATOR_DIR/emulator.json"
    "$venv/bin/python" -m tests.emulator --seed demo --state-dir "$EMULATOR_DIR/state" \
        > "$out" 2> "$EMULATOR_DIR/stderr.log" &
    EMULATOR_PID=$!
    trap stop_emulator EXIT
    for ((i = 0; i < 300; i++)); do
        line="$(head -n1 "$out" 2>/dev/null || true)"
        [[ -n "$line" && "$line" == *"}"* ]] && break
        if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
            echo "ERROR: emulator exited early; stderr:" >&2
            cat "$EMULATOR_DIR/stderr.log" >&2
            return 1
        fi
        sleep 0.1
    done
    if [[ -z "$line" ]]; then
        echo "ERROR: emulator printed nothing within 30 s" >&2
        return 1
    fi
    eval "$("$venv/bin/python" - "$line" <<'EOF'
import json, shlex, sys
d = json.loads(sys.argv[1])
for key, name in (("base_url", "EMULATOR_ENDPOINT"), ("ca_path", "EMULATOR_CA_PATH"),
                  ("control_url", "EMULATOR_CONTROL_URL")):
    print("export %s=%s" % (name, shlex.quote(str(d[key]))))
EOF
)" || { echo "ERROR: cannot parse emulator line: $line" >&2; return 1; }
    echo "emulator pid $EMULATOR_PID at $EMULATOR_ENDPOINT (control $EMULATOR_CONTROL_URL)"
}

stop_emulator() {
    if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
        kill "$EMULATOR_PID" 2>/dev/null
        wait "$EMULATOR_PID" 2>/dev/null
    fi
    EMULATOR_PID=""
}

# junit_counts VENV XML -> "PASSED FAILED SKIPPED" of a pytest junit file (0 0 0 if unreadable)
junit_counts() {
    "$1/bin/python" - "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
t = f = s = 0
try:
    root = ET.parse(sys.argv[1]).getroot()
    for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        t += int(suite.get("tests", 0)); s += int(suite.get("skipped", 0))
        f += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
except (OSError, ET.ParseError):
    pass
print(t - f - s, f, s)
EOF
}

# --- stages --------------------------------------------------------------------
# stage_units VENV LABEL
stage_units() {
    local venv="$1" label="$2" start=$SECONDS rc=0 expects xml p f s
    header "$label" "pytest tests/unit ($(describe "$venv"))"
    need_venv "$venv" || { record "$label" FAIL 0 1 0 0 "venv missing"; return 1; }
    expects="$(find tests/unit -name 'test_*.py' -o -name '*_test.py' 2>/dev/null | head -n1)"
    xml="$RESULTS/$label.junit.xml"
    rm -f "$xml"
    "$venv/bin/python" -m pytest -ra --junitxml="$xml" || rc=$?
    read -r p f s <<< "$(junit_counts "$venv" "$xml")"
    if [[ $rc -eq 5 && -z "$expects" ]]; then
        record "$label" PASS 0 0 0 $((SECONDS - start)) "no unit tests exist yet"
    elif [[ $rc -eq 5 ]]; then
        record "$label" FAIL 0 1 0 $((SECONDS - start)) "test files exist but pytest collected no tests"
        return 1
    elif [[ $rc -ne 0 ]]; then
        [[ $f -eq 0 ]] && f=1
        record "$label" FAIL "$p" "$f" "$s" $((SECONDS - start)) "pytest exit $rc"
        return 1
    else
        record "$label" PASS "$p" "$f" "$s" $((SECONDS - start))
    fi
}

# Managed hosts run the cryptography their distribution ships; the modules that run there
# are tested with the oldest supported one and with the last one before the *_utc API.
# Each NAME is a venv from tests/requirements-target-NAME.txt (scripts/venv.sh --target=NAME).
TARGET_CRYPTO=(3.4 41)
TARGET_TESTS=(
    tests/unit/plugins/module_utils/test__x509.py
    tests/unit/plugins/module_utils/test__certificate_files.py
    tests/unit/plugins/module_utils/test__certificate_files_batch.py
    tests/unit/plugins/module_utils/test__validation.py
    tests/unit/plugins/module_utils/test__cas.py
)
stage_target_crypto() {
    local start=$SECONDS name venv xml p f s tp=0 tf=0 ts=0 rc failed="" notes=""
    header target-crypto "target-side module tests with cryptography ${TARGET_CRYPTO[*]}"
    for name in "${TARGET_CRYPTO[@]}"; do
        venv="$ROOT/.venv-target-$name"
        if ! "$ROOT/scripts/venv.sh" --target="$name" "$venv"; then
            tf=$((tf + 1)); failed="$failed $name(venv)"; continue
        fi
        xml="$RESULTS/target-crypto-$name.junit.xml"
        rm -f "$xml"
        rc=0
        "$venv/bin/python" -m pytest -q -ra --junitxml="$xml" "${TARGET_TESTS[@]}" || rc=$?
        read -r p f s <<< "$(junit_counts "$venv" "$xml")"
        [[ $rc -ne 0 && $f -eq 0 ]] && f=1
        [[ $rc -ne 0 ]] && failed="$failed $name"
        tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
        notes="$notes${notes:+; }$("$venv/bin/python" -c 'import sys, cryptography; print("cryptography %s on Python %d.%d" % ((cryptography.__version__,) + sys.version_info[:2]))')"
    done
    if [[ -n "$failed" ]]; then
        record target-crypto FAIL "$tp" "$tf" "$ts" $((SECONDS - start)) "failed:$failed"
        return 1
    fi
    record target-crypto PASS "$tp" "$tf" "$ts" $((SECONDS - start)) "$notes"
}

# stage_sanity VENV LABEL
stage_sanity() {
    local venv="$1" label="$2" start=$SECONDS rc=0 tree log ran skipped failed ign bad="" missing
    header "$label" "ansible-test sanity --venv ($(describe "$venv"))"
    need_venv "$venv" || { record "$label" FAIL 0 1 0 0 "venv missing"; return 1; }
    # Policy: no sanity ignores. Ignore files must be empty or absent.
    for ign in tests/sanity/ignore-*.txt; do
        [[ -e "$ign" ]] || continue
        if grep -qv '^[[:space:]]*$' "$ign"; then bad="$bad $ign"; fi
    done
    if [[ -n "$bad" ]]; then
        echo "ERROR: sanity ignore entries are not allowed (policy: fix the code instead):$bad" >&2
        record "$label" FAIL 0 1 0 $((SECONDS - start)) "non-empty ignore file(s):$bad"
        return 1
    fi
    install_get_pip "$venv" || { record "$label" FAIL 0 1 0 0 "pip bootstrap stand-in"; return 1; }
    tree="$(sync_tree "$venv")" || { record "$label" FAIL 0 1 0 0 "collection copy failed"; return 1; }
    log="$RESULTS/$label.log"
    (cd "$tree" && PATH="$venv/bin:$PATH" ansible-test sanity --venv --python "$(pyver "$venv")" --color no) \
        2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    ran="$(grep -cE "^Running sanity test [\"']" "$log")"
    # A test whose tool is missing only warns ("Required program ... not found"): count
    # it as skipped and name it, never as passed.
    missing="$(grep -Eo 'Required program "[^"]+" not found' "$log" | cut -d'"' -f2 | sort -u | tr '\n' ' ')"
    skipped="$(grep -cE 'Required program "[^"]+" not found' "$log")"
    ran=$((ran - skipped))
    failed="$(grep -Eo 'The [0-9]+ sanity test\(s\) listed below' "$log" | grep -Eo '[0-9]+' | head -n1)"
    failed="${failed:-0}"
    if [[ $rc -ne 0 ]]; then
        [[ $failed -eq 0 ]] && failed=1
        record "$label" FAIL $((ran - failed > 0 ? ran - failed : 0)) "$failed" "$skipped" $((SECONDS - start)) \
            "ansible-test exit $rc${missing:+; skipped for missing programs: $missing}"
        return 1
    elif [[ $ran -eq 0 ]]; then
        record "$label" FAIL 0 1 0 $((SECONDS - start)) "ansible-test ran no sanity test"
        return 1
    fi
    record "$label" PASS "$ran" 0 "$skipped" $((SECONDS - start)) "${missing:+skipped for missing programs: $missing}"
}

stage_lint() {
    local start=$SECONDS rc=0 passed=0 failed=0 note=""
    header lint "ansible-lint + antsibull-changelog lint + actionlint/zizmor on .github/workflows ($(describe "$VENV"))"
    need_venv "$VENV" || { record lint FAIL 0 1 0 0 "venv missing"; return 1; }
    ensure_collection_link
    if PATH="$VENV/bin:$PATH" ansible-lint --nocolor; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); note="ansible-lint failed"
    fi
    if [[ -f changelogs/config.yaml ]]; then
        echo "--- antsibull-changelog lint"
        if PATH="$VENV/bin:$PATH" antsibull-changelog lint; then
            passed=$((passed + 1)); echo "antsibull-changelog lint: OK"
        else
            failed=$((failed + 1)); note="${note:+$note; }antsibull-changelog lint failed"
        fi
    else
        echo "--- antsibull-changelog lint: skipped (no changelogs/config.yaml yet)"
    fi
    # The GitHub workflows: actionlint (syntax, expressions, shellcheck-free run: checks) and
    # zizmor (security: pinned actions, permissions, template injection, credentials), offline.
    local tool
    for tool in actionlint zizmor; do
        echo "--- $tool .github/workflows"
        if [[ ! -x "$VENV/bin/$tool" ]]; then
            failed=$((failed + 1)); note="${note:+$note; }$tool missing from $VENV (tests/requirements.txt)"
            continue
        fi
        if case $tool in
                actionlint) "$VENV/bin/actionlint" -no-color ;;
                zizmor) "$VENV/bin/zizmor" --offline --no-progress .github/workflows ;;
            esac; then
            passed=$((passed + 1)); echo "$tool: OK"
        else
            failed=$((failed + 1)); note="${note:+$note; }$tool failed"
        fi
    done
    if [[ $failed -ne 0 ]]; then
        record lint FAIL "$passed" "$failed" 0 $((SECONDS - start)) "$note"
        return 1
    fi
    record lint PASS "$passed" 0 0 $((SECONDS - start))
}

# Print the integration targets to run (one per line); report the others on stderr.
# INTEGRATION_TARGETS="a b" limits the run to those targets (for development).
integration_targets() {
    local d name
    local selected=()
    if [[ -n "${INTEGRATION_TARGETS:-}" ]]; then
        read -ra selected <<< "$INTEGRATION_TARGETS"
        printf '%s\n' "${selected[@]}"
        return 0
    fi
    for d in tests/integration/targets/*/; do
        [[ -d "$d" ]] || continue
        name="$(basename "$d")"
        case "$name" in setup_*|prepare_*) continue ;; esac
        if [[ -f "$d/aliases" ]] && grep -Eq '^[[:space:]]*(unsupported|disabled)([[:space:]]|$)' "$d/aliases"; then
            echo "not running target $name: marked $(grep -Eo '^[[:space:]]*(unsupported|disabled)' "$d/aliases" | head -n1 | tr -d ' ') in aliases" >&2
            continue
        fi
        echo "$name"
    done
}

stage_integration() {
    local start=$SECONDS rc=0 tree log targets=() ntargets failed target t0 timings=() bad=""
    header integration "ansible-test integration --local against the emulator ($(describe "$VENV"))"
    need_venv "$VENV" || { record integration FAIL 0 1 0 0 "venv missing"; return 1; }
    mapfile -t targets < <(integration_targets)
    ntargets=${#targets[@]}
    if [[ $ntargets -eq 0 ]]; then
        echo "no integration targets under tests/integration/targets yet"
        record integration PASS 0 0 0 $((SECONDS - start)) "no integration targets yet"
        return 0
    fi
    echo "targets: ${targets[*]}"
    start_emulator "$VENV" || { record integration FAIL 0 1 0 $((SECONDS - start)) "emulator did not start"; return 1; }
    write_integration_config "$VENV" tests/integration/integration_config.yml
    tree="$(sync_tree "$VENV")" || { record integration FAIL 0 1 0 0 "collection copy failed"; return 1; }
    # The config file is gitignored, so the copy never has it: place it there too.
    cp tests/integration/integration_config.yml "$tree/tests/integration/integration_config.yml"
    log="$RESULTS/integration.log"
    : > "$log"
    # One ansible-test run per target (a few seconds of overhead each) for a per-target
    # result and time; every target runs even when an earlier one failed.
    for target in "${targets[@]}"; do
        t0=$SECONDS
        echo "--- integration target $target"
        (cd "$tree" && PATH="$VENV/bin:$PATH" ansible-test integration --local --python "$(pyver "$VENV")" \
            --color no "$target") 2>&1 | tee -a "$log"
        rc=${PIPESTATUS[0]}
        if [[ $rc -eq 0 ]]; then
            timings+=("PASS $target $((SECONDS - t0))s")
        else
            timings+=("FAIL $target $((SECONDS - t0))s (exit $rc)")
            bad="$bad $target"
        fi
    done
    stop_emulator
    echo "--- integration targets:"
    printf '    %s\n' "${timings[@]}"
    failed="$(wc -w <<< "$bad")"
    if [[ $failed -ne 0 ]]; then
        record integration FAIL $((ntargets - failed)) "$failed" 0 $((SECONDS - start)) "failed:$bad"
        return 1
    fi
    record integration PASS "$ntargets" 0 0 $((SECONDS - start))
}

# write_integration_config VENV FILE: vars every integration target receives (extra vars).
write_integration_config() {
    "$1/bin/python" - "$2" "$1/bin/python" <<'EOF'
import json, os, sys
path, python = sys.argv[1], sys.argv[2]
values = {
    "emulator_endpoint": os.environ["EMULATOR_ENDPOINT"],
    "emulator_ca_path": os.environ["EMULATOR_CA_PATH"],
    "emulator_control_url": os.environ["EMULATOR_CONTROL_URL"],
    # Demo seed credentials (docs/dev/contracts.md)
    "alicloud_access_key_id": "LTAI5tEmulatorDemoKey01",
    "alicloud_access_key_secret": "EmulatorDemoSecret0123456789abc",
    # Interpreter discovery would pick a broken pyenv shim: use the controller Python.
    "ansible_python_interpreter": python,
}
with open(path, "w") as f:
    f.write("# Written by scripts/harness.sh for one integration run; do not edit or commit.\n---\n")
    for key, value in values.items():
        f.write("%s: %s\n" % (key, json.dumps(value)))
EOF
}

stage_molecule() {
    local start=$SECONDS d name scenarios=() passed=0 failed=0 bad=""
    header molecule "molecule test per scenario in extensions/molecule ($(describe "$VENV"))"
    need_venv "$VENV" || { record molecule FAIL 0 1 0 0 "venv missing"; return 1; }
    for d in extensions/molecule/*/; do
        [[ -f "$d/molecule.yml" ]] && scenarios+=("$(basename "$d")")
    done
    if [[ ${#scenarios[@]} -eq 0 ]]; then
        echo "no molecule scenarios under extensions/molecule yet"
        record molecule PASS 0 0 0 $((SECONDS - start)) "no molecule scenarios yet"
        return 0
    fi
    # Each scenario starts the emulator it needs itself (prepare.yml), so that
    # `molecule test -s NAME` also works outside the harness. Molecule installs the
    # collection from the checkout itself (its prerun, into $ANSIBLE_HOME/collections): the
    # harness's ANSIBLE_COLLECTIONS_PATH would show a second alicloud.cas (molecule warns
    # "Another version of 'alicloud.cas' ... was found"), so it is not passed on.
    for name in "${scenarios[@]}"; do
        echo "--- molecule test -s $name"
        if env -u ANSIBLE_COLLECTIONS_PATH PATH="$VENV/bin:$PATH" molecule test -s "$name" 2>&1 \
                | tee "$RESULTS/molecule-$name.log"; then
            # A green run prints no line that looks wrong: molecule's CRITICAL/WARNING lines
            # (a failed glob, a missing playbook, a second copy of the collection) and
            # Ansible's [WARNING]s are all either fixed or a failure.
            if noise="$(grep -E '^(CRITICAL|WARNING|ERROR) |\[(WARNING|DEPRECATION WARNING)\]' "$RESULTS/molecule-$name.log")"; then
                echo "molecule test -s $name passed but printed:"
                printf '%s\n' "$noise" | sed 's/^/    /'
                failed=$((failed + 1)); bad="$bad $name(warnings)"
            else
                passed=$((passed + 1))
            fi
        else
            failed=$((failed + 1)); bad="$bad $name"
        fi
    done
    if [[ $failed -ne 0 ]]; then
        record molecule FAIL "$passed" "$failed" 0 $((SECONDS - start)) "failed:$bad"
        return 1
    fi
    record molecule PASS "$passed" 0 0 $((SECONDS - start))
}

# stage_script LABEL SCRIPT DESCRIPTION [ARG...]: a check script owned by another area
# (docs, Galaxy build, execution environment); one item, passes when it exits 0.
stage_script() {
    local label="$1" script="$2" start=$SECONDS
    header "$label" "$3 ($script)"
    if [[ ! -f "$script" ]]; then
        echo "$script does not exist yet"
        record "$label" PASS 0 0 0 0 "$script not present yet"
        return 0
    fi
    need_venv "$VENV" || { record "$label" FAIL 0 1 0 0 "venv missing"; return 1; }
    if VENV="$VENV" bash "$script" "${@:4}"; then
        record "$label" PASS 1 0 0 $((SECONDS - start))
    else
        record "$label" FAIL 0 1 0 $((SECONDS - start)) "$script failed"
        return 1
    fi
}

summary() {
    local stage st p f s t note tp=0 tf=0 ts=0 any_fail=0
    printf '\n==================== summary ====================\n'
    printf '%-13s %-6s %7s %7s %8s %7s  %s\n' stage result passed failed skipped seconds note
    for stage in "$@"; do
        if [[ -f "$RESULTS/$stage" ]]; then
            IFS=$'\t' read -r _ st p f s t note < "$RESULTS/$stage"
        else
            st=FAIL p=0 f=1 s=0 t=0 note="stage did not record a result"
        fi
        printf '%-13s %-6s %7s %7s %8s %7s  %s\n' "$stage" "$st" "$p" "$f" "$s" "$t" "$note"
        tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
        [[ $st == PASS ]] || any_fail=1
    done
    [[ $any_fail -eq 1 && $tf -eq 0 ]] && tf=1
    echo "wall time: $((SECONDS - suite_start)) s"
    printf 'total: %d passed, %d failed, %d skipped\n' "$tp" "$tf" "$ts"
    return "$any_fail"
}

run_stage() {
    rm -f "$RESULTS/$1"
    case "$1" in
        units) (stage_units "$VENV" units) ;;
        target-crypto) (stage_target_crypto) ;;
        sanity) (stage_sanity "$VENV" sanity) ;;
        lint) (stage_lint) ;;
        integration) (stage_integration) ;;
        molecule) (stage_molecule) ;;
        units-2.19) (stage_units "$LEGACY_VENV" units-2.19) ;;
        sanity-2.19) (stage_sanity "$LEGACY_VENV" sanity-2.19) ;;
        docs) (stage_script docs scripts/docs-check.sh "documentation checks") ;;
        # The release steps for the next patch version on a throw-away copy, without a token:
        # version, changelog, scripts/galaxy-check.sh (build + galaxy-importer), no publishing.
        galaxy) (stage_script galaxy scripts/release.sh "release dry run: changelog, Galaxy build and import" --check) ;;
        ee) (stage_script ee scripts/ee-check.sh "execution environment build context") ;;
        *) echo "unknown stage: $1" >&2; return 2 ;;
    esac
}

ALL=(units target-crypto sanity lint docs integration molecule galaxy ee units-2.19 sanity-2.19)
stages=()
for arg in "$@"; do
    if [[ $arg == all ]]; then stages+=("${ALL[@]}"); else stages+=("$arg"); fi
done
if [[ ${#stages[@]} -eq 0 ]]; then
    sed -n '2,12p' "$0"
    exit 2
fi
for stage in "${stages[@]}"; do
    case " ${ALL[*]} " in *" $stage "*) ;; *) echo "unknown stage: $stage (known: ${ALL[*]})" >&2; exit 2 ;; esac
done
suite_start=$SECONDS
for stage in "${stages[@]}"; do
    run_stage "$stage"
done
summary "${stages[@]}"
