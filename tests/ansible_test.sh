#!/usr/bin/env bash
# Run ansible-test against this collection from a throw-away copy.
#
# Usage:
#   tests/ansible_test.sh <ansible-test subcommand> [arguments...]
#   e.g. tests/ansible_test.sh sanity --python 3.11
#        tests/ansible_test.sh units --python 3.11
#
# The ansible-test found on PATH is used: activate a venv with ansible-core (or put its bin/ on PATH) first.
#
# What it does, and why:
# * ansible-test only works on a collection that lives at .../ansible_collections/<namespace>/<name>/,
#   so the collection is copied into a fresh temporary directory with that layout (removed again on exit).
#   Only the files git would show -- tracked plus untracked-but-not-ignored (`git ls-files -co
#   --exclude-standard`), minus files deleted from the work tree -- are copied, which is the same file set
#   ansible-test itself would test in the real checkout. Outside a git checkout everything except .git/,
#   .venv/ and tests/output/ is copied.
# * No `git init`/commit is done in the copy: with no .git above the collection, ansible-test falls back to
#   listing the files on disk (UnversionedSource), which is exactly the set copied above, and no sanity test
#   needs git history (only --changed and validate-modules' base-commit comparison for ansible-core do).
#   Only if the temporary directory happens to sit inside some other git work tree is a bare `git init`
#   done, so that ansible-test's upward search for .git stops at the copy instead of using that other repo.
# * ansible-test bootstraps pip into each managed venv with a get-pip.py it downloads from
#   ci-files.testing.ansible.com and caches at ~/.ansible/test/cache/get_pip_<pip version, dots as
#   underscores>.py. When that file is missing and the host cannot be reached within a few seconds, the
#   offline stand-in tests/get_pip_offline.py (the pip of ensurepip's wheel installs pip) is copied to that path, under the
#   current $HOME. Delete the cached file to get the real script once the host is reachable.
# * `--venv` is appended for the subcommands that take environment options (sanity, units, integration,
#   network-integration, windows-integration, shell) unless the caller already chose an environment
#   (--venv, --local, --docker, --remote, --controller, --target...), so plain calls never need Docker and
#   never touch the Python running ansible-test, while e.g. `--docker default` still works.
# * ansible-test's exit status is passed through.
#
# Environment:
#   ANSIBLE_TEST_OUTPUT_DIR   if set, the copy's tests/output/ (junit, coverage, bot reports; not .tmp/) is
#                             copied there before the temporary directory is removed.
#   ANSIBLE_TEST_GET_PIP_TIMEOUT  seconds to wait when probing the get-pip.py download host (default 5).

set -euo pipefail

die() {
    echo "ansible_test.sh: $*" >&2
    exit 2
}

[[ $# -gt 0 ]] || die "usage: $0 <ansible-test subcommand> [arguments...]"

# Resolve paths before changing directory; the collection root is the parent of this script's directory.
tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_root=$(dirname "$tests_dir")

ansible_test=$(command -v ansible-test) || die "ansible-test not found on PATH (activate a venv with ansible-core first)"

# Namespace and name come from galaxy.yml so the copy gets the path ansible-test derives the FQCN from.
galaxy_value() {
    sed -n -E "s/^$1:[[:space:]]*['\"]?([A-Za-z0-9_]+)['\"]?[[:space:]]*(#.*)?\$/\\1/p" "$src_root/galaxy.yml" 2>/dev/null | head -n 1
}
namespace=$(galaxy_value namespace)
name=$(galaxy_value name)
namespace=${namespace:-upstash}
name=${name:-cloud}

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/ansible-test-${namespace}-${name}.XXXXXX")
dest="$work_dir/ansible_collections/$namespace/$name"

# shellcheck disable=SC2329  # invoked through the EXIT trap below, which shellcheck cannot see
cleanup() {
    # Keep the results only when asked to: by default nothing is written into the checkout.
    if [[ -n "${ANSIBLE_TEST_OUTPUT_DIR:-}" && -d "$dest/tests/output" ]]; then
        mkdir -p "$ANSIBLE_TEST_OUTPUT_DIR"
        # .tmp/ holds scratch data and the delegation venv, nothing worth keeping.
        tar -C "$dest/tests/output" --exclude=./.tmp -cf - . | tar -C "$ANSIBLE_TEST_OUTPUT_DIR" -xf - || echo "ansible_test.sh: could not copy tests/output to $ANSIBLE_TEST_OUTPUT_DIR" >&2
    fi
    rm -rf "$work_dir"
}
trap cleanup EXIT
# Turn Ctrl-C/kill into a normal exit so the EXIT trap removes the copy; use the conventional 128+signal status.
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$dest"

# --- 1. copy the collection ------------------------------------------------------------------------------
if command -v git >/dev/null 2>&1 && git -C "$src_root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # `ls-files --cached` still lists tracked files deleted from the work tree; skip those or tar would fail.
    # NUL separation keeps file names with spaces or newlines intact. tar keeps modes (the shebang sanity
    # test checks executable bits) and symlinks.
    git -C "$src_root" ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' path; do
            if [[ -e "$src_root/$path" || -L "$src_root/$path" ]]; then
                printf '%s\0' "$path"
            fi
        done |
        tar -C "$src_root" --null -T - -cf - |
        tar -C "$dest" -xf -
else
    # Not a git checkout (e.g. an unpacked release tarball): copy everything but VCS data, local venvs and old results.
    tar -C "$src_root" --exclude=./.git --exclude=./.venv --exclude=./tests/output -cf - . | tar -C "$dest" -xf -
fi

if command -v git >/dev/null 2>&1 && git -C "$dest" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # $TMPDIR lies inside another repository: give the copy its own (empty) one, see the header.
    git init --quiet "$dest"
fi

# --- 2. make sure ansible-test can bootstrap pip ----------------------------------------------------------
# Ask ansible-test itself (same interpreter, taken from the shebang of the ansible-test on PATH) which pip
# versions it bootstraps and where it caches get-pip.py, rather than hard-coding a version that changes with
# every ansible-core release.
read -r shebang <"$ansible_test" || true
read -r -a interpreter <<<"${shebang#\#!}"
if [[ ${#interpreter[@]} -gt 0 && "$(basename "${interpreter[0]}")" == env ]]; then
    # "#!/usr/bin/env [-S] python3": the interpreter is the first non-option word after env.
    interpreter=("${interpreter[@]:1}")
    while [[ ${#interpreter[@]} -gt 0 && "${interpreter[0]}" == -* ]]; do
        interpreter=("${interpreter[@]:1}")
    done
fi
[[ "$shebang" == '#!'* && ${#interpreter[@]} -gt 0 ]] || interpreter=(python3)

"${interpreter[@]}" - "$tests_dir/get_pip_offline.py" "${ANSIBLE_TEST_GET_PIP_TIMEOUT:-5}" <<'PYTHON' ||
import os
import shutil
import sys
import types
import urllib.request

stand_in, timeout = sys.argv[1], float(sys.argv[2])

try:
    from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
    from ansible_test._internal.python_requirements import get_venv_packages
except ImportError as ex:
    sys.exit('cannot inspect ansible-test (%s)' % ex)

# get_venv_packages() only looks at .version; collect the pip versions for every Python ansible-test supports.
pip_versions = sorted({get_venv_packages(types.SimpleNamespace(version=v))['pip'] for v in SUPPORTED_PYTHON_VERSIONS})
reachable = None

for pip_version in pip_versions:
    # Same URL and cache path as bootstrap() in ansible_test/_util/target/setup/requirements.py.
    url = 'https://ci-files.testing.ansible.com/ansible-test/get-pip-%s.py' % pip_version
    cache_path = os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % pip_version.replace('.', '_'))

    if os.path.exists(cache_path):
        continue

    if reachable is None:
        # One quick probe is enough: all versions come from the same host. If it answers, ansible-test
        # downloads the genuine script itself.
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                response.read(1)
            reachable = True
        except Exception as ex:
            reachable = False
            print('ansible_test.sh: %s is not reachable (%s); using the offline pip bootstrap stand-in' % (url, ex), file=sys.stderr)

    if not reachable:
        os.makedirs(os.path.dirname(cache_path), exist_ok=True)
        # Copy then rename, so a concurrent run sharing this HOME never executes a half-written file.
        temp_path = '%s.%d.tmp' % (cache_path, os.getpid())
        shutil.copyfile(stand_in, temp_path)
        os.replace(temp_path, cache_path)
        print('ansible_test.sh: installed %s as %s' % (stand_in, cache_path), file=sys.stderr)
PYTHON
    echo "ansible_test.sh: WARNING: could not prepare the offline pip bootstrap; ansible-test will try to download get-pip.py itself" >&2

# --- 3. run ansible-test ----------------------------------------------------------------------------------
args=("$@")
case "$1" in
    sanity | units | integration | network-integration | windows-integration | shell)
        add_venv=true
        for arg in "${args[@]:1}"; do
            case "$arg" in
                --venv | --local | --docker | --docker=* | --remote | --remote=* | --controller | --controller=* | --target | --target=* | --target-*)
                    add_venv=false
                    ;;
            esac
        done
        if [[ $add_venv == true ]]; then
            args+=(--venv)
        fi
        ;;
esac

cd "$dest"
status=0
"$ansible_test" "${args[@]}" || status=$?
exit "$status"
