#!/usr/bin/env bash
# Run the unit and integration tests under every ansible-core of the version matrix.
#
# Usage: tests/matrix.sh [pytest arguments...]        (make test-matrix)
#
# Each tests/matrix/<entry>.txt is one entry: a pinned requirements file whose first line
# "# python: X.Y" names the Python it runs on. Each entry gets its own venv under $MATRIX_VENVS
# (default .venv-matrix/), rebuilt only when its requirements file changes. An entry whose Python
# is not on this machine is skipped with a notice (tests/python_for.sh says where it looks); a
# failing entry fails the run after the others have run, so one report shows the whole matrix.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venvs=${MATRIX_VENVS:-$root/.venv-matrix}
cd "$root"

summary=()
failed=0
for requirements in tests/matrix/*.txt; do
    entry=$(basename "$requirements" .txt)
    version=$(sed -n '1s/^# python: *\([0-9][0-9.]*\) *$/\1/p' "$requirements")
    if [[ -z $version ]]; then
        echo "matrix.sh: $requirements does not start with '# python: X.Y'" >&2
        exit 2
    fi
    if ! python=$(tests/python_for.sh "$version"); then
        echo "matrix.sh: NOTICE: skipping $entry: no Python $version interpreter found"
        summary+=("$(printf '%-20s python %-5s SKIPPED (no interpreter)' "$entry" "$version")")
        continue
    fi

    venv=$venvs/$entry
    digest=$(sha256sum "$requirements" | cut -d' ' -f1)
    started=$SECONDS
    if [[ "$(cat "$venv/.installed" 2>/dev/null)" != "$digest" ]]; then
        echo "== $entry: creating $venv with $python"
        rm -rf "$venv"
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
        echo "$digest" >"$venv/.installed"
    fi
    setup=$((SECONDS - started))

    echo "== $entry: $("$venv/bin/ansible" --version | head -n 1), Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())')"
    started=$SECONDS
    status=0
    # The venv's bin first: the tests start ansible-playbook, ansible-galaxy and the demo from PATH.
    PATH="$venv/bin:$PATH" "$venv/bin/python" -m pytest tests/unit tests/integration "$@" || status=$?
    took=$((SECONDS - started))
    if [[ $status -eq 0 ]]; then
        result=passed
    else
        result="FAILED (pytest exit $status)"
        failed=1
    fi
    summary+=("$(printf '%-20s python %-5s %s in %ds (venv setup %ds)' "$entry" "$version" "$result" "$took" "$setup")")
done

echo "== version matrix"
printf '%s\n' "${summary[@]}"
exit "$failed"
