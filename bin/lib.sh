# Helpers shared by bin/dev and bin/test; sourced, never run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Print the first Python 3.11+ found ($PYTHON first, 3.11 before newer ones: the project's
# .venv is the Python 3.11 + Django 5.2 leg), or fail saying what to install.
find_python() {
    local candidate found=""
    for candidate in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
        found="$found $("$candidate" -V 2>&1 | head -n 1)"
    done
    die "Python 3.11 or newer is needed (found:${found:- none}).
  Install one (Debian/Ubuntu: apt-get install python3 python3-venv; macOS: brew install python@3.12)
  or point PYTHON at it: PYTHON=/path/to/python3.12 $0"
}

# Print the first Python 3.12+ found ($PYTHON_DJ6, python3.13, python3.12, then pyenv's
# 3.12/3.13 builds), for the Django 6.1 leg; print nothing and fail when there is none.
find_python_dj6() {
    local candidate
    local candidates=(${PYTHON_DJ6:-} python3.13 python3.12)
    if command -v pyenv >/dev/null 2>&1; then
        candidates+=("$(pyenv root)"/versions/3.1[23]*/bin/python)
    fi
    for candidate in "${candidates[@]}"; do
        # pyenv's shims exist for every installed version but fail unless it is selected.
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            "$candidate" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    return 1
}

# Point VENV and PY at another virtual environment (bin/test's second leg).
use_venv() {
    VENV="$1"
    PY="$VENV/bin/python"
}

# Create $VENV with a Python 3.11+ ($1, else find_python) unless it exists and works.
ensure_venv() {
    local python="${1:-}"
    if [[ -x "$PY" ]] && "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        return 0
    fi
    if [[ -e "$VENV" ]]; then
        die "$VENV exists but is not a working Python 3.11+ environment; remove it and run $0 again."
    fi
    python="${python:-$(find_python)}"
    say "Creating ${VENV#"$ROOT"/} with $("$python" -V 2>&1)"
    if ! "$python" -m venv "$VENV"; then
        rm -rf "$VENV"
        die "could not create a virtual environment with $python.
  Debian/Ubuntu need the venv module: apt-get install python3-venv"
    fi
    "$PY" -m pip install --quiet --upgrade pip
}

# pip install -r FILE into $VENV, skipped when the requirement files have not changed since
# its last successful install (the stamp lives inside that venv: each venv has its own, and
# a new venv installs again).
pip_install() {
    local file="$1" stamp digest
    stamp="$VENV/.installed-${file##*/}"
    digest="$(cat "$ROOT"/requirements*.txt "$ROOT/pyproject.toml" | cksum)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$digest" ]]; then
        return 0
    fi
    say "Installing $file"
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$ROOT/$file" || return 1
    printf '%s' "$digest" >"$stamp"
}

# Value of KEY in .env (last one wins), without surrounding quotes; empty when absent.
dotenv_value() {
    local key="$1" line value=""
    [[ -f "$ROOT/.env" ]] || return 0
    while IFS= read -r line || [[ -n "$line" ]]; do
        line="${line#export }"
        if [[ "$line" == "$key="* ]]; then
            value="${line#*=}"
            if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
                value="${BASH_REMATCH[1]}"
            fi
        fi
    done <"$ROOT/.env"
    printf '%s' "$value"
}
