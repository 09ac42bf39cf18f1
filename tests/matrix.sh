#!/usr/bin/env bash
# The version matrix: ansible-test sanity, units and integration on every ansible-core the collection
# supports (tests/matrix/*.txt), and the pytest integration suites on the newest and on the oldest of
# everything (ansible-core, Python, requests and urllib3).
#
# Usage: tests/matrix.sh [entry...]        (make test-matrix; entries are file names without .txt)
#
# Each tests/matrix/<entry>.txt is one entry: a pinned requirements file that starts with
#   # python: X.Y                   the Python the entry runs on
#   # checks: sanity units integration pytest   what it runs, any of these four
#   # blocking: no                  optional: its failures are reported without failing the run (pre-releases)
# sanity is tests/sanity.sh on the entry's Python; units and integration are `ansible-test units|integration --local` through
# tests/ansible_test.sh, so they run on exactly the pinned packages of the entry (no install during the
# test, and the floor entry really tests the floor); pytest is `pytest tests/integration`, the suites
# that stay in pytest (fault matrix, hostile servers, docs, build).
#
# Each entry gets its own venv under $MATRIX_VENVS (default .venv-matrix/), rebuilt only when its
# requirements file changes, and its own HOME there (ansible-test caches its sanity venvs in HOME; entries
# running side by side must not build the same one at once). $MATRIX_JOBS entries run at a time (default
# 2); each check's output goes to $MATRIX_VENVS/logs/<entry>.<check>.log and is printed only when the
# check fails. An entry whose Python is not on this machine is skipped with a notice
# (tests/python_for.sh says where it looks). The run fails if any check failed, after all have run.
set -euo pipefail
TIMEFORMAT='%U %S'
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venvs=${MATRIX_VENVS:-$root/.venv-matrix}
jobs=${MATRIX_JOBS:-2}
logs=$venvs/logs
cd "$root"
mkdir -p "$logs"
rm -f "$logs"/*.log "$logs"/*.summary

header() {  # header <requirements file> <name>: the value of "# <name>: ..." in the first lines
    sed -n "1,5s/^# $2: *\(.*[^ ]\) *\$/\1/p" "$1" | head -n 1
}

count() {  # count <check> <log>: what the check ran, from its output
    case $1 in
        sanity) echo "$(grep -c '^Running sanity test ' "$2" || true) sanity tests" ;;
        units | pytest)
            # pytest's closing lines, one per unit-test group under ansible-test
            grep -E '^(=+ )?[0-9]+ (passed|failed|errors?|skipped)\b.* in [0-9.]+s' "$2" |
                awk '{ for (i = 1; i < NF; i++) if ($(i + 1) ~ /^(passed|failed|errors?|skipped)/) n[$(i + 1)] += $i }
                     END { printf "%d passed, %d failed, %d skipped", n["passed"] + n["passed,"], n["failed"] + n["failed,"],
                           n["skipped"] + n["skipped,"] }' ;;
        integration)
            echo "$(grep -c 'integration test role$' "$2" || true) targets," \
                "$(grep -E '^testhost +: ok=' "$2" | sed -E 's/.* ok=([0-9]+).*/\1/' | awk '{ s += $1 } END { print s + 0 }') tasks ok"
            ;;
    esac
}

run_entry() {  # run_entry <requirements file>: set up the entry's venv, run its checks, write its summary
    local requirements=$1 entry version checks python venv digest started check status took result
    entry=$(basename "$requirements" .txt)
    version=$(header "$requirements" python)
    checks=$(header "$requirements" checks)
    local summary=$logs/$entry.summary
    if [[ -z $version || -z $checks ]]; then
        echo "$entry: $requirements must start with '# python: X.Y' and '# checks: ...'" >"$summary"
        return 1
    fi
    if ! python=$(tests/python_for.sh "$version"); then
        echo "NOTICE: skipping $entry: no Python $version interpreter found" >&2
        printf '%-24s python %-5s SKIPPED (no interpreter)\n' "$entry" "$version" >"$summary"
        return 0
    fi

    venv=$venvs/$entry
    digest=$(sha256sum "$requirements" | cut -d' ' -f1)
    started=$SECONDS
    if [[ "$(cat "$venv/.installed" 2>/dev/null)" != "$digest" ]]; then
        rm -rf "$venv"
        if ! { "$python" -m venv "$venv" &&
                   "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"; } \
                >"$logs/$entry.venv.log" 2>&1; then
            printf '%-24s python %-5s FAILED to create its venv (log %s)\n' "$entry" "$version" "$logs/$entry.venv.log" >"$summary"
            return 1
        fi
        echo "$digest" >"$venv/.installed"
    fi
    mkdir -p "$venv/home"
    printf '%-24s python %-5s ansible-core %s, venv %ds\n' "$entry" "$version" \
        "$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')" $((SECONDS - started)) >"$summary"

    local failed=0
    for check in $checks; do
        started=$SECONDS
        status=0
        # The venv's bin first: ansible-test, ansible-playbook and the tests' tools come from there. The CPU
        # time (user + system, this check's processes) says more than the wall time on a busy machine.
        { time (
            case $check in
                # On the entry's Python only: make test runs them on every Python, and that many sanity
                # venvs per entry would not fit in CI's time.
                sanity) HOME=$venv/home PATH="$venv/bin:$PATH" SANITY_PYTHON_VERSIONS=$version tests/sanity.sh ;;
                units | integration) HOME=$venv/home PATH="$venv/bin:$PATH" tests/ansible_test.sh "$check" --local --python "$version" ;;
                pytest) HOME=$venv/home PATH="$venv/bin:$PATH" "$venv/bin/python" -m pytest tests/integration ;;
                *) echo "unknown check: $check"; false ;;
            esac >"$logs/$entry.$check.log" 2>&1 </dev/null
        ); } 2>"$logs/$entry.$check.cpu" || status=$?
        took=$((SECONDS - started))
        cpu=$(awk '{ printf "%d", $1 + $2 }' "$logs/$entry.$check.cpu")
        if [[ $status -eq 0 ]]; then
            result=passed
        else
            result="FAILED (exit $status, log $logs/$entry.$check.log)"
            failed=1
        fi
        printf '    %-12s %-7s in %4ds (cpu %4ds): %s\n' "$check" "$result" "$took" "$cpu" "$(count "$check" "$logs/$entry.$check.log")" >>"$summary"
    done
    # A pre-release can break for reasons that are ansible-core's to fix before its release: it is
    # reported so the next release holds no surprise, but does not fail the gate.
    if [[ $failed -ne 0 && $(header "$requirements" blocking) == no ]]; then
        echo "    (not blocking: a failure here is reported, not fatal)" >>"$summary"
        return 0
    fi
    return "$failed"
}

entries=()
if [[ $# -gt 0 ]]; then
    for name in "$@"; do entries+=("tests/matrix/$name.txt"); done
else
    entries=(tests/matrix/*.txt)
fi

started_all=$SECONDS
pids=()
for requirements in "${entries[@]}"; do
    [[ -f $requirements ]] || { echo "matrix.sh: no such entry: $requirements" >&2; exit 2; }
    while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
        wait -n || true
    done
    echo "== $(basename "$requirements" .txt): started"
    run_entry "$requirements" &
    pids+=($!)
done

failed=0
for index in "${!pids[@]}"; do
    wait "${pids[$index]}" || failed=1
done

passed_checks=0
failed_checks=0
echo "== version matrix ($((SECONDS - started_all))s with $jobs at a time)"
for requirements in "${entries[@]}"; do
    entry=$(basename "$requirements" .txt)
    cat "$logs/$entry.summary"
    while IFS= read -r line; do
        case $line in
            *" passed  in "*) passed_checks=$((passed_checks + 1)) ;;
            *" FAILED"*) failed_checks=$((failed_checks + 1))
                log=$(sed -n 's/.*log \(.*\.log\)).*/\1/p' <<<"$line")
                if [[ -n $log && -f $log ]]; then
                    echo "---- end of $log"
                    tail -n 80 "$log"
                fi
                ;;
        esac
    done <"$logs/$entry.summary"
done
echo "matrix: $passed_checks passed, $failed_checks failed"
exit "$failed"
