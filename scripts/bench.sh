#!/usr/bin/env bash
# Benchmarks of alicloud.cas against the local emulator (`make bench`).
#
#   scripts/bench.sh [--only client,economy,fleet,fleet-api,polling,emulator,pool,estate,listing,deploy]
#                    [--hosts N] [--forks N] [--qps N]
#
# Uses the test venv (VENV, default .venv) made by scripts/venv.sh, which pins the test
# dependencies including the official SDK alibabacloud_cas20200407 (a benchmark and test
# dependency only, never one of the collection). Prints a Markdown report and keeps a copy
# in .cache/bench/report.md. Figures, not assertions. Only loopback traffic.
# The whole run takes about 10-30 minutes on 2 cores, most of it the 100-host fleet and the
# estates of issue 13 (pool, estate, listing: tests/bench/role_scale.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

VENV="${VENV:-.venv}"
if [[ -x scripts/venv.sh ]]; then
    scripts/venv.sh "$VENV"
elif [[ ! -x "$VENV/bin/python" ]]; then
    echo "bench: no venv at $VENV and no scripts/venv.sh to create it" >&2
    exit 1
fi
if ! "$VENV/bin/python" -c 'import alibabacloud_cas20200407' 2>/dev/null; then
    # Only if the pinned requirements lost it: the benchmark's comparison needs it.
    "$VENV/bin/python" -m pip install --quiet "alibabacloud_cas20200407==3.9.4"
fi

mkdir -p .cache/bench .cache/ansible/tmp
VENV_BIN="$(realpath -m "$VENV")/bin"
export PATH="$VENV_BIN:$PATH"
export ANSIBLE_NOCOLOR=1 PY_COLORS=0 NO_COLOR=1
exec "$VENV/bin/python" -m tests.bench.run --output .cache/bench/report.md "$@"
