#!/usr/bin/env bash
# Cut a release of alicloud.cas and publish it to Galaxy (`make release VERSION=x.y.z`).
#
#   scripts/release.sh VERSION        in this checkout: the steps below, in order
#   scripts/release.sh --check        what `make test` runs: the same steps for the next patch
#                                     version on a throw-away copy of the checkout (git's files),
#                                     never publishing; the checkout is not modified
#
#   1. the version: galaxy.yml is the one source; it is written there and into the User-Agent
#      (plugins/module_utils/_transport.py COLLECTION_VERSION; modules cannot read galaxy.yml
#      at run time), and `make galaxy` fails when the two differ;
#   2. the changelog: antsibull-changelog release (scripts/changelog-release.sh) writes
#      CHANGELOG.md/.rst and changelogs/changelog.yaml from changelogs/fragments; on a
#      checkout of the release tag (the release workflow) it is already released and kept;
#   3. the tarball: built and checked by scripts/galaxy-check.sh (content, what git ignores
#      left out, one version, galaxy-importer with no warnings);
#   4. publishing: `ansible-galaxy collection publish` with the API token from the environment,
#      ANSIBLE_GALAXY_TOKEN (or GALAXY_API_KEY), never from a file. Without a token it stops
#      here and prints what it would upload. GALAXY_SERVER (default https://galaxy.ansible.com/api/)
#      names another server, for example a private automation hub.
#
# It commits and tags nothing: docs/releasing.md gives the order (review, commit, tag, push).
# Environment: VENV (default .venv).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$(realpath -m "${VENV:-.venv}")"
export VENV PATH="$VENV/bin:$PATH"

usage() { sed -n '2,7p' "$0" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

current="$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')"

if [[ "$1" == --check ]]; then
    # A throw-away copy of exactly the files git sees (scripts/sync_collection.py, as for
    # ansible-test); the release runs there with no token, so it cannot publish.
    tree_state() { { git status --porcelain --untracked-files=all; git diff; } | sha256sum; }
    before="$(tree_state)"
    work="$(mktemp -d "${TMPDIR:-/tmp}/alicloud-cas-release.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    copy="$(python scripts/sync_collection.py "$work" 2>/dev/null)"
    next="$(python - "$current" <<'PY'
import sys
major, minor, patch = (int(part) for part in sys.argv[1].split("-")[0].split(".")[:3])
print("%d.%d.%d" % (major, minor, patch + 1))
PY
)"
    echo "release --check: scripts/release.sh $next on a copy in $copy (no token: nothing is published)"
    env -u ANSIBLE_GALAXY_TOKEN -u GALAXY_API_KEY bash "$copy/scripts/release.sh" "$next"
    # The copy, not the checkout, got the new version, changelog and tarball.
    [[ "$(tree_state)" == "$before" ]] \
        || { echo "release --check: the checkout changed (git status / git diff differ)" >&2; exit 1; }
    echo "release --check: OK"
    exit 0
fi

version="$1"
if ! [[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]]; then
    echo "release: VERSION must be semantic (x.y.z), got '$version'" >&2
    exit 2
fi
token="${ANSIBLE_GALAXY_TOKEN:-${GALAXY_API_KEY:-}}"
server="${GALAXY_SERVER:-https://galaxy.ansible.com/api/}"
tagged=0
if git rev-parse -q --verify "refs/tags/$version" >/dev/null || git rev-parse -q --verify "refs/tags/v$version" >/dev/null; then
    tagged=1
fi

echo "== release $version: 1. version (galaxy.yml, User-Agent)"
if [[ $tagged -eq 1 && "$current" != "$version" ]]; then
    echo "release: $version is tagged but galaxy.yml says $current: check out the tag" >&2
    exit 1
fi
python - "$version" <<'PY'
import re, sys
version = sys.argv[1]
for path, pattern, replacement in (
        ("galaxy.yml", r"^version: .*$", "version: %s" % version),
        ("plugins/module_utils/_transport.py", r'^COLLECTION_VERSION = "[^"]*"$', 'COLLECTION_VERSION = "%s"' % version)):
    text = open(path, encoding="utf-8").read()
    new, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
    if count != 1:
        sys.exit("release: no version line in %s" % path)
    if new != text:
        open(path, "w", encoding="utf-8").write(new)
    print("   %s: %s" % (path, version))
PY

echo "== release $version: 2. changelog (antsibull-changelog)"
if [[ $tagged -eq 1 ]]; then
    grep -qE "^  '?$version'?:" changelogs/changelog.yaml \
        || { echo "release: $version is tagged but changelogs/changelog.yaml has no entry for it" >&2; exit 1; }
    echo "   $version is tagged: its changelog is released already; kept as it is"
    antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
else
    scripts/changelog-release.sh "$version"
fi

echo "== release $version: 3. tarball (scripts/galaxy-check.sh: build, content, galaxy-importer)"
dist="$ROOT/dist"
rm -f "$dist/alicloud-cas-$version.tar.gz"
OUTPUT_DIR="$dist" bash scripts/galaxy-check.sh
tarball="$dist/alicloud-cas-$version.tar.gz"
[[ -f "$tarball" ]] || { echo "release: galaxy-check did not produce $tarball" >&2; exit 1; }

echo "== release $version: 4. publish (ansible-galaxy collection publish)"
if [[ -z "$token" ]]; then
    echo "   no ANSIBLE_GALAXY_TOKEN (or GALAXY_API_KEY) in the environment: stopping before publishing."
    echo "   It would upload:"
    echo "     file     $tarball"
    echo "     size     $(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | grep -vc '/$') files"
    echo "     sha256   $(sha256sum "$tarball" | cut -d' ' -f1)"
    echo "     as       alicloud.cas $version"
    echo "     to       $server"
    exit 0
fi
# The token goes to ansible-galaxy through its per-server environment settings, not on the
# command line (where other users could read it in the process list).
export ANSIBLE_GALAXY_SERVER_LIST=release
export ANSIBLE_GALAXY_SERVER_RELEASE_URL="$server"
export ANSIBLE_GALAXY_SERVER_RELEASE_TOKEN="$token"
unset ANSIBLE_GALAXY_TOKEN GALAXY_API_KEY
ansible-galaxy collection publish "$tarball"
echo "release: alicloud.cas $version published to $server"
