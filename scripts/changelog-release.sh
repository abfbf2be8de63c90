#!/usr/bin/env bash
# (Re)generate the changelog of the unreleased version from changelogs/fragments.
#
#   scripts/changelog-release.sh [VERSION] [DATE]
#
# VERSION defaults to galaxy.yml's version, DATE to today. While VERSION is not yet
# published, running this again replaces its entry in changelogs/changelog.yaml, so new
# modules, roles and fragments are picked up. Fragments are kept (keep_fragments: true)
# so that `antsibull-changelog lint` keeps checking them.
#
# antsibull-changelog finds new modules and roles with ansible-doc, which needs the
# collection under an ansible_collections/<namespace>/<name> path: it runs from the
# .cache/collections link that the harness also uses.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$(realpath -m "${VENV:-.venv}")"
export PATH="$VENV/bin:$PATH"
COLLECTIONS="$("$ROOT/scripts/collection-link.sh")"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
export ANSIBLE_HOME="${ANSIBLE_HOME:-$ROOT/.cache/ansible/home}"
version="${1:-$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')}"
date="${2:-$(date -u +%Y-%m-%d)}"

link="$COLLECTIONS/ansible_collections/alicloud/cas"

if [[ -f changelogs/changelog.yaml ]] && python - "$version" <<'PY'
import sys, yaml
data = yaml.safe_load(open("changelogs/changelog.yaml")) or {}
sys.exit(0 if sys.argv[1] in (data.get("releases") or {}) else 1)
PY
then
    if git rev-parse -q --verify "refs/tags/$version" >/dev/null || git rev-parse -q --verify "refs/tags/v$version" >/dev/null; then
        echo "changelog-release: $version is tagged (released); add fragments for the next version instead" >&2
        exit 1
    fi
    python - "$version" <<'PY'
import sys, yaml
path = "changelogs/changelog.yaml"
data = yaml.safe_load(open(path))
del data["releases"][sys.argv[1]]
if not data["releases"]:
    import os
    os.remove(path)
else:
    yaml.safe_dump(data, open(path, "w"), default_flow_style=False, sort_keys=True)
PY
    rm -f changelogs/.plugin-cache.yaml
    echo "changelog-release: replacing the unreleased entry $version"
fi
(cd "$link" && antsibull-changelog release --version "$version" --date "$date" 2>&1 \
    | grep -v "ansible/_protomatter' does not have a MANIFEST.json") || true
test -f changelogs/changelog.yaml && grep -q "^  $version:\|^  '$version':" changelogs/changelog.yaml
antsibull-changelog lint
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
echo "changelog-release: CHANGELOG.md, CHANGELOG.rst and changelogs/changelog.yaml describe $version ($date)"
