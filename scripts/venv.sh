#!/usr/bin/env bash
# Create or refresh a test virtual environment for alicloud.cas.
#
#   scripts/venv.sh [--legacy] [DIR]
#
# Default (DIR=.venv): newest CPython 3.12..3.14 found (pyenv versions or
# python3.1x on PATH, never pyenv shims) + tests/requirements.txt
# (ansible-core 2.21). If no such Python exists, falls back to Python 3.11 +
# tests/requirements-2.19.txt (ansible-core 2.19).
# --legacy (DIR=.venv-2.19): Python 3.11 + tests/requirements-2.19.txt.
# --target=NAME (DIR=.venv-target-NAME): the Python named on the "# python:" line of
# tests/requirements-target-NAME.txt (else the newest 3.11+) + that file, a full lock
# (a managed host's cryptography, for the target-side modules' tests).
#
# Idempotent: a stamp file inside the venv records a hash of the interpreter,
# the requirement and constraint files and this script; when it matches,
# nothing is done (well under a second).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

mode=main
dir=""
for arg in "$@"; do
    case "$arg" in
        --legacy) mode=legacy ;;
        --target=*) mode=target; target="${arg#--target=}" ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) dir="$arg" ;;
    esac
done
if [[ -z "$dir" ]]; then
    case $mode in legacy) dir=.venv-2.19 ;; target) dir=".venv-target-$target" ;; *) dir=.venv ;; esac
fi

log() { printf '[venv %s] %s\n' "$dir" "$*" >&2; }

# --- interpreter discovery ---------------------------------------------------
# Print "MAJOR.MINOR PATH" for every usable CPython candidate (no shims).
candidates() {
    local roots=() r p
    [[ -n "${PYENV_ROOT:-}" ]] && roots+=("$PYENV_ROOT")
    [[ -d "$HOME/.pyenv" ]] && roots+=("$HOME/.pyenv")
    if [[ ${#roots[@]} -eq 0 ]] && command -v pyenv >/dev/null 2>&1; then
        r="$(pyenv root 2>/dev/null || true)"
        [[ -n "$r" ]] && roots+=("$r")
    fi
    local paths=()
    for r in "${roots[@]}"; do
        for p in "$r"/versions/*/bin/python3; do
            # Only final releases 3.11+ by folder name (skips 2.7, 3.13t, 3.14-dev, ...).
            [[ "$p" =~ /versions/3\.(1[1-9]|[2-9][0-9])\.[0-9]+/bin/python3$ && -x "$p" ]] && paths+=("$p")
        done
    done
    local name
    for name in python3.14 python3.13 python3.12 python3.11 python3; do
        while IFS= read -r p; do
            [[ -n "$p" && "$p" != */shims/* ]] && paths+=("$p")
        done < <(type -ap "$name" 2>/dev/null || true)
    done
    local seen=" " real
    for p in "${paths[@]}"; do
        real="$(realpath "$p")"
        [[ "$seen" == *" $real "* ]] && continue
        seen="$seen$real "
        # A candidate must be a final CPython release, not free-threaded,
        # and able to create a venv with pip.
        "$p" - <<'EOF' 2>/dev/null || true
import sys, sysconfig
ok = (sys.implementation.name == "cpython" and sys.version_info.releaselevel == "final"
      and not sysconfig.get_config_var("Py_GIL_DISABLED"))
try:
    import venv, ensurepip  # noqa: F401
except ImportError:
    ok = False
if ok:
    print("%d.%d %s" % (sys.version_info[0], sys.version_info[1], sys.executable))
EOF
    done
}

# pick MIN MAX -> path of the newest candidate with MIN <= X.Y <= MAX
pick() {
    local min="$1" max="$2"
    candidates | awk -v min="$min" -v max="$max" '
        { split($1, v, "."); n = v[1] * 100 + v[2];
          split(min, a, "."); lo = a[1] * 100 + a[2];
          split(max, b, "."); hi = b[1] * 100 + b[2];
          if (n >= lo && n <= hi) print n, $2 }' |
        sort -k1,1nr -s | head -n1 | cut -d' ' -f2-
}

if [[ $mode == main ]]; then
    py="$(pick 3.12 3.14)"
    req=tests/requirements.txt
    if [[ -z "$py" ]]; then
        log "no Python >= 3.12 found; falling back to Python 3.11 + ansible-core 2.19"
        mode=legacy
    fi
fi
if [[ $mode == legacy ]]; then
    py="$(pick 3.11 3.11)"
    req=tests/requirements-2.19.txt
fi
if [[ $mode == target ]]; then
    req="tests/requirements-target-$target.txt"
    [[ -f "$req" ]] || { log "ERROR: $req does not exist"; exit 1; }
    want_py="$(sed -n 's/^# python: *//p' "$req" | head -n1)"
    py=""
    # Target Pythons may be older than the controller's 3.11+ that candidates() lists.
    for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want_py".*/bin/python3 $(type -ap "python$want_py" 2>/dev/null || true); do
        [[ -x "$p" && "$p" != */shims/* ]] && { py="$p"; break; }
    done
    if [[ -z "$py" ]]; then
        py="$(pick 3.11 3.14)"
        log "no Python $want_py found; using $py"
    fi
fi
if [[ -z "${py:-}" ]]; then
    log "ERROR: no usable CPython (3.12+ or 3.11) found; install one (pyenv or Debian python3.11-venv)"
    exit 1
fi
py_ver="$("$py" -c 'import sys; print(sys.version.split()[0])')"

constraints="scripts/constraints-${mode}.txt"
if [[ $mode == target ]]; then
    constraints="$req"           # the target requirement files are full locks
    export PIP_ONLY_BINARY=:all: # an old cryptography must never be built from source here
fi
want="$( { echo "$py $py_ver"; cat "$req" "$constraints" "$0" requirements.txt; } | sha256sum | cut -d' ' -f1)"
stamp="$dir/.harness-stamp"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$dir/bin/python" ]]; then
    log "up to date (Python $py_ver, $req)"
    exit 0
fi

# Recreate when the venv was built from a different interpreter version.
if [[ -x "$dir/bin/python" ]]; then
    have="$("$dir/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo none)"
    if [[ "$have" != "$py_ver" ]]; then
        log "venv has Python $have, want $py_ver: recreating"
        rm -rf "$dir"
    fi
elif [[ -e "$dir" ]]; then
    rm -rf "$dir"
fi

start=$SECONDS
if [[ ! -x "$dir/bin/python" ]]; then
    log "creating with $py (Python $py_ver)"
    "$py" -m venv "$dir"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off
# pip(): run the venv's pip, hiding this machine's harmless "Location ... is
# ignored" warnings about absent local index folders.
pip() {
    local out rc=0
    out="$("$dir/bin/python" -m pip "$@" 2>&1)" || rc=$?
    if [[ -n "$out" ]]; then
        printf '%s\n' "$out" | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
    fi
    return "$rc"
}
# Target venvs keep their interpreter's own pip: pip 26 needs Python 3.10, targets start at 3.9.
[[ $mode == target ]] || pip install --quiet --upgrade "pip==26.3"
log "installing $req (constraints $constraints)"
pip install --quiet -r "$req" -c "$constraints"
pip check || { log "ERROR: pip check failed"; exit 1; }
echo "$want" > "$stamp"
if [[ $mode == target ]]; then
    log "ready in $((SECONDS - start)) s: Python $py_ver, cryptography $("$dir/bin/python" -c 'import cryptography; print(cryptography.__version__)')"
else
    log "ready in $((SECONDS - start)) s: Python $py_ver, ansible-core $("$dir/bin/python" -c 'import ansible; print(ansible.__version__)')"
fi
