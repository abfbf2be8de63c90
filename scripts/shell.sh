#!/usr/bin/env bash
# Use this checkout as the collection alicloud.cas from a shell (`make shell`).
#
#   scripts/shell.sh              a subshell with the venv active and ANSIBLE_COLLECTIONS_PATH
#                                 pointing at this checkout (exit to leave it)
#   scripts/shell.sh -- CMD ARG.. run one command in that environment
#   scripts/shell.sh --print      print the one line that does the same in your own shell
#
# Ansible finds a collection only under a directory named ansible_collections/NAMESPACE/NAME;
# a clone is named after the repository. .cache/collections/ansible_collections/alicloud/cas
# is a link to the checkout (the harness and `make demo` use the same one), so
# ANSIBLE_COLLECTIONS_PATH=<checkout>/.cache/collections makes `ansible-doc
# alicloud.cas.certificate_request`, `ansible localhost -m alicloud.cas...` and playbooks use
# the code of this checkout. `make clean` removes .cache; this script makes the link again.
#
# Environment: VENV (default .venv; created by `make venv` or `make demo`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$(cd "$ROOT" && realpath -m "${VENV:-.venv}")"
COLLECTIONS="$("$ROOT/scripts/collection-link.sh")"

# The line for the user's own shell: absolute paths, so it works from any directory.
line() {
    printf '. %q/bin/activate && export ANSIBLE_COLLECTIONS_PATH=%q\n' "$VENV" "$COLLECTIONS"
}

case "${1:-}" in
    --print)
        line
        exit 0
        ;;
    -h|--help)
        sed -n '2,17p' "$0"
        exit 0
        ;;
esac

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "shell: no venv at $VENV; run 'make venv' (or 'make demo') first" >&2
    exit 1
fi
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"

if [[ "${1:-}" == -- ]]; then
    shift
    [[ $# -gt 0 ]] || { echo "shell: nothing to run after --" >&2; exit 2; }
    exec "$@"
fi
if [[ $# -gt 0 ]]; then
    echo "shell: unknown argument $1 (see scripts/shell.sh --help)" >&2
    exit 2
fi

echo "alicloud.cas shell: venv $VENV, ANSIBLE_COLLECTIONS_PATH=$COLLECTIONS"
echo "  try: ansible-doc alicloud.cas.certificate_request     (exit to leave)"
user_shell="${SHELL:-/bin/bash}"
if [[ "$(basename "$user_shell")" == bash ]]; then
    # Keep the user's ~/.bashrc, then mark the prompt so that the subshell is visible.
    rcfile="$(mktemp)"
    trap 'rm -f "$rcfile"' EXIT
    # ~/.bashrc may put pyenv or another venv first on PATH: the checkout's venv goes first again.
    # The rc file gets $PATH and $PS1 as written, for the subshell to expand.
    # shellcheck disable=SC2016
    { echo '[[ -f ~/.bashrc ]] && . ~/.bashrc'
      printf 'export PATH=%q:"$PATH"\n' "$VENV/bin"
      echo 'PS1="(alicloud.cas) ${PS1:-\$ }"'; } > "$rcfile"
    "$user_shell" --rcfile "$rcfile" -i || true
else
    "$user_shell" -i || true
fi
