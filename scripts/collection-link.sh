#!/usr/bin/env bash
# Makes <checkout>/.cache/collections/ansible_collections/alicloud/cas a link to the checkout
# and prints <checkout>/.cache/collections, the ANSIBLE_COLLECTIONS_PATH under which Ansible
# finds this checkout as alicloud.cas. Used by the harness, scripts/shell.sh and
# scripts/changelog-release.sh, so all of them look at the same link.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
collections="$ROOT/.cache/collections"
link="$collections/ansible_collections/alicloud/cas"
if [[ ! -L "$link" ]]; then
    mkdir -p "$(dirname "$link")"
    rm -rf "$link"
    ln -s "$ROOT" "$link"
fi
echo "$collections"
