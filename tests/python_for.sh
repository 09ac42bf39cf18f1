#!/usr/bin/env bash
# Print the path of a working Python X.Y interpreter, or print nothing and exit 1 when there is none.
#
# Usage: tests/python_for.sh 3.12
#
# A pythonX.Y on PATH is only trusted once it has run: pyenv puts shims for every installed version
# on PATH, but a shim fails for a version pyenv has not activated. Those versions are still usable
# straight from pyenv's versions/ directory, found through PYENV_ROOT, the shims directory itself or
# the pyenv program on PATH (so this also works with a changed HOME, and with a PATH that has
# pyenv's bin/ but not its shims, as in a clean-checkout test run under `env -i`).
set -euo pipefail

version=${1:?usage: $0 X.Y}
[[ $version =~ ^[0-9]+\.[0-9]+$ ]] || { echo "python_for.sh: not a Python version: $version" >&2; exit 2; }

works() {
    [[ -x $1 ]] && "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" 2>/dev/null
}

on_path=()
from_pyenv=()
if found=$(command -v "python$version" 2>/dev/null); then
    on_path+=("$found")
    case $found in
        */shims/python*) from_pyenv+=("$(dirname "$(dirname "$found")")"/versions/"$version".*/bin/python"$version") ;;
    esac
fi
if [[ -n ${PYENV_ROOT:-} ]]; then
    from_pyenv+=("$PYENV_ROOT"/versions/"$version".*/bin/python"$version")
fi
if pyenv=$(command -v pyenv 2>/dev/null); then
    # A git checkout of pyenv runs as <root>/bin/pyenv -> <root>/libexec/pyenv. `pyenv root` alone
    # would answer $HOME/.pyenv when PYENV_ROOT is unset, which a changed HOME does not have.
    from_pyenv+=("$(dirname "$(dirname "$(readlink -f "$pyenv")")")"/versions/"$version".*/bin/python"$version")
fi

# PATH wins; among pyenv's versions the newest patch release does. A glob that matched nothing stays
# literal and fails the -x test.
while IFS= read -r candidate; do
    if [[ -n $candidate ]] && works "$candidate"; then
        # Resolve shims to the real interpreter, so venvs made from it do not depend on pyenv's state.
        "$candidate" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done < <({ printf '%s\n' "${on_path[@]}"; printf '%s\n' "${from_pyenv[@]}" | sort -V -r; } | awk '!seen[$0]++')

exit 1
