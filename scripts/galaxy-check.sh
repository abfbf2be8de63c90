#!/usr/bin/env bash
# Build alicloud.cas the way it is published and import it the way Galaxy does (`make galaxy`).
#
#   1. `ansible-galaxy collection build` into a temporary directory;
#   2. assert the tarball holds no test output, venvs, caches, VCS data, local
#      integration config or nested build artifacts, and that it does hold the
#      files Galaxy users need (README, licence, changelog, runtime metadata);
#   3. run galaxy-importer on the tarball offline (ansible-doc, content checks,
#      offline ansible-lint; its Docker-based ansible-test run stays off, as the
#      harness runs ansible-test itself) and fail on any WARNING or ERROR line.
#
#   4. the version in galaxy.yml (the one source) is the User-Agent's in
#      plugins/module_utils/_transport.py (scripts/release.sh writes both).
#
# Environment: VENV (default .venv); KEEP=1 keeps the work directory and prints it;
# OUTPUT_DIR=DIR copies the checked tarball there (scripts/release.sh publishes that one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$(realpath -m "${VENV:-.venv}")"
export PATH="$VENV/bin:$PATH"
export ANSIBLE_NOCOLOR=1 NO_COLOR=1 PY_COLORS=0
# The importer runs ansible-doc/ansible-lint on its own extracted copy: keep any
# collection installed elsewhere (for example by molecule) from shadowing it.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS

for tool in ansible-galaxy ansible-doc ansible-lint; do
    command -v "$tool" >/dev/null || { echo "galaxy-check: $tool not found (run make venv)" >&2; exit 1; }
done
python -c 'import galaxy_importer' 2>/dev/null || { echo "galaxy-check: galaxy-importer is not installed in $VENV" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/alicloud-cas-galaxy.XXXXXX")"
if [[ "${KEEP:-0}" == 1 ]]; then echo "galaxy-check: work directory $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
export ANSIBLE_HOME="$WORK/ansible-home" ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp"
mkdir -p "$ANSIBLE_HOME" "$ANSIBLE_LOCAL_TEMP"
fail=0

# The build runs on a copy: the files git sees (tracked, or untracked and not ignored; what
# scripts/sync_collection.py copies) plus one planted file for every .gitignore pattern, the
# kind of file a developer leaves behind (`make test > test.log`, a venv, dist/). `ansible-galaxy
# collection build` reads galaxy.yml's build_ignore and nothing else, so this proves that
# build_ignore drops whatever git ignores, whatever happens to lie in the checkout today.
echo "== galaxy-check: ansible-galaxy collection build (git's files + a planted file per .gitignore pattern)"
src="$(python scripts/sync_collection.py "$WORK/src" 2>/dev/null)"
git ls-files -z --cached --others --exclude-standard | tr '\0' '\n' | sort > "$WORK/git-files.txt"
python - "$src" "$WORK/planted.txt" <<'PY'
import os, subprocess, sys
src, out = sys.argv[1:3]
planted = []
for line in open(".gitignore", encoding="utf-8"):
    pattern = line.strip()
    if not pattern or pattern.startswith(("#", "!")):
        continue
    directory = pattern.endswith("/")
    path = pattern.strip("/").replace("**", "probe").replace("*", "probe").replace("?", "p")
    paths = [path] if "/" in pattern.strip("/") else [path, "plugins/" + path]
    planted += [(pattern, p + "/planted.txt" if directory else p) for p in paths]
# The planted names must really be ones git ignores, or the probe proves nothing.
for pattern, path in planted:
    if subprocess.run(["git", "check-ignore", "-q", "--no-index", path]).returncode != 0:
        sys.exit("galaxy-check: cannot plant a file git ignores for %s (got %s)" % (pattern, path))
    full = os.path.join(src, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write("planted by scripts/galaxy-check.sh: git ignores this file, so must the build\r\n")
open(out, "w").write("".join(path + "\n" for _, path in sorted(planted)))
PY
(cd "$src" && ansible-galaxy collection build --output-path "$WORK/dist" .)
tarball="$(ls "$WORK"/dist/alicloud-cas-*.tar.gz)"
tar -tzf "$tarball" | sed 's#^\./##' | sort > "$WORK/files.txt"
echo "   $(basename "$tarball"): $(grep -vc '/$' "$WORK/files.txt") files, $(du -k "$tarball" | cut -f1) KiB"

echo "== galaxy-check: the build leaves out what git ignores"
# Every file in the tarball is one git sees (MANIFEST.json and FILES.json are the build's own).
stray="$(grep -v '/$' "$WORK/files.txt" | grep -vxE 'MANIFEST\.json|FILES\.json' | comm -23 - "$WORK/git-files.txt")"
if [[ -n "$stray" ]]; then
    echo "  FAIL the tarball holds files git ignores or does not know; add their pattern to galaxy.yml build_ignore:"
    printf '%s\n' "$stray" | head -n 10 | sed 's/^/         /'
    fail=1
else
    echo "  ok   $(wc -l < "$WORK/planted.txt") planted files (one per .gitignore pattern) left out; every file is one git sees"
fi

echo "== galaxy-check: tarball content"
# Paths (extended regexes on the member name) that must never be published.
forbidden=(
    '(^|/)tests/output(/|$)'
    '(^|/)\.venv[^/]*(/|$)'
    '(^|/)venv(/|$)'
    '(^|/)\.cache(/|$)'
    '(^|/)\.git(/|$)'
    '(^|/)\.ansible(/|$)'
    '(^|/)\.pytest_cache(/|$)'
    '(^|/)\.mypy_cache(/|$)'
    '(^|/)\.ruff_cache(/|$)'
    '(^|/)\.tox(/|$)'
    '(^|/)__pycache__(/|$)'
    '\.py[co]$'
    '(^|/)\.coverage'
    '(^|/)htmlcov(/|$)'
    '^dist(/|$)'
    '^collections(/|$)'
    '(^|/)ansible_collections(/|$)'
    '\.tar\.gz$'
    '\.retry$'
    '(^|/)importer_result\.json$'
    '^tests/integration/integration_config\.yml$'
    '(^|/)emulator\.json$'
    '\.(log|junit\.xml)$'
)
for pattern in "${forbidden[@]}"; do
    if hits="$(grep -E "$pattern" "$WORK/files.txt")"; then
        echo "  FAIL tarball contains paths matching $pattern:"
        printf '%s\n' "$hits" | head -n 10 | sed 's/^/         /'
        fail=1
    fi
done
required=(MANIFEST.json FILES.json README.md CHANGELOG.md changelogs/changelog.yaml
          LICENSES/GPL-3.0-or-later.txt meta/runtime.yml meta/execution-environment.yml requirements.txt)
for path in "${required[@]}"; do
    if grep -qxF "$path" "$WORK/files.txt"; then echo "  ok   $path"; else echo "  FAIL missing $path"; fail=1; fi
done
[[ $fail -eq 0 ]] && echo "  ok   no test output, venvs, caches or VCS data"

echo "== galaxy-check: galaxy-importer $(python -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))') (offline)"
cat > "$WORK/galaxy-importer.cfg" <<CFG
[galaxy-importer]
LOG_LEVEL_MAIN = INFO
RUN_ANSIBLE_TEST = False
ANSIBLE_TEST_LOCAL_IMAGE = False
LOCAL_IMAGE_DOCKER = False
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_FLAKE8 = False
CHECK_CHANGELOG = True
CHECK_REQUIRED_TAGS = True
ANSIBLE_LOCAL_TMP = $WORK/ansible-tmp
TMP_ROOT_DIR = $WORK
CFG
run_importer() {
    rc=0
    (cd "$WORK" && GALAXY_IMPORTER_CONFIG="$WORK/galaxy-importer.cfg" \
        python -m galaxy_importer.main "$tarball") > "$WORK/importer.log" 2>&1 || rc=$?
}
run_importer
# galaxy-importer gives its ansible-lint run a fixed 180 s. On a loaded machine that can
# run out; that says nothing about the collection, so try once more before failing.
if grep -q 'Timeout on call to ansible-lint' "$WORK/importer.log"; then
    echo "   (galaxy-importer's ansible-lint hit its fixed 180 s timeout; load: $(cut -d' ' -f1-3 /proc/loadavg); retrying once)"
    run_importer
fi
sed 's/^/   /' "$WORK/importer.log"
problems="$(grep -nE '^(WARNING|ERROR|CRITICAL)|Traceback|[Ww]arning:' "$WORK/importer.log" || true)"
if [[ $rc -ne 0 ]]; then
    echo "  FAIL galaxy-importer exited with $rc"; fail=1
fi
if ! grep -q 'Importer processing completed successfully' "$WORK/importer.log"; then
    echo "  FAIL galaxy-importer did not report success"; fail=1
fi
if [[ -n "$problems" ]]; then
    echo "  FAIL galaxy-importer reported warnings or errors:"
    printf '%s\n' "$problems" | sed 's/^/         /'
    fail=1
fi

echo "== galaxy-check: one version (galaxy.yml) everywhere"
if python - "$tarball" <<'PY'
import json, re, sys, tarfile, yaml
version = yaml.safe_load(open("galaxy.yml"))["version"]
with tarfile.open(sys.argv[1]) as tar:
    manifest = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]["version"]
    transport = tar.extractfile("plugins/module_utils/_transport.py").read().decode("utf-8")
agent = re.search(r'^COLLECTION_VERSION = "([^"]*)"$', transport, re.M)
agent = agent.group(1) if agent else None
if len({version, manifest, agent}) != 1:
    sys.exit("  FAIL versions differ: galaxy.yml %s, MANIFEST.json %s, _transport.py COLLECTION_VERSION (User-Agent) %s;"
             " set them with scripts/release.sh" % (version, manifest, agent))
print("  ok   %s in galaxy.yml, MANIFEST.json and the User-Agent (_transport.py)" % version)
PY
then :; else fail=1; fi

if [[ $fail -ne 0 ]]; then
    echo "galaxy-check: FAILED" >&2
    exit 1
fi
if [[ -n "${OUTPUT_DIR:-}" ]]; then
    mkdir -p "$OUTPUT_DIR"
    cp "$tarball" "$OUTPUT_DIR/"
    echo "galaxy-check: checked tarball copied to $OUTPUT_DIR/$(basename "$tarball")"
fi
echo "galaxy-check: OK ($(basename "$tarball") builds clean and imports with no warnings)"
