#!/usr/bin/env bash
# The version matrix: units and integration on every ansible-core the collection supports but the one
# make test runs them on (tests/matrix/*.txt), sanity on the oldest and the newest release, and the
# pytest integration suites on the newest and on the oldest of everything (ansible-core, Python,
# requests and urllib3).
#
# Usage: tests/matrix.sh [entry...]        (make test-matrix; entries are file names without .txt)
#
# Each tests/matrix/<entry>.txt is one entry: a pinned requirements file that starts with
#   # python: X.Y                   the Python the entry runs on
#   # checks: sanity units integration pytest   what it runs, any of these four
#   # blocking: no                  optional: its failures are reported without failing the run (pre-releases)
#   # pytest: FILE...               optional: the pytest suites it runs, when not all of tests/integration
# sanity is tests/sanity.sh; units and integration are `ansible-test units|integration --local` through
# tests/ansible_test.sh, so they run on exactly the pinned packages of the entry (no install during the
# test, and the floor entry really tests the floor); pytest is `pytest tests/integration`, the suites
# that stay in pytest (fault matrix, hostile servers, docs, build), with pytest-xdist on
# $PYTEST_WORKERS workers (default auto: one per CPU).
# ansible-core 2.19 has no entry: it is the one of test-requirements.txt, whose units, integration
# and pytest suites make test runs (and .ci/run runs both).
#
# First every entry's venv is made under $MATRIX_VENVS (default .venv-matrix/), rebuilt only when its
# requirements file changes; then every check of every entry is one job, the longest kinds first
# (pytest, sanity, integration, units) and the non-blocking entries' last, so that the short ones fill
# the end. Both run $MATRIX_JOBS jobs at a time (default: one per CPU). Each check gets its own HOME
# under its entry's venv: ansible-test caches its sanity venvs there for the next run, and checks
# running side by side never build the same one at once.
#
# Each job's output goes to $MATRIX_VENVS/logs/<entry>.<venv|check>.log and is printed (its end) only
# when it fails. Each job also adds one line to $MATRIX_VENVS/logs/results.tsv: name, wall seconds,
# CPU seconds (user + system of its processes: on a busy machine the wall time says little), result
# (passed, FAILED, "FAILED (not blocking)" or SKIPPED) and what it ran; .ci/run's table reads it. An
# entry whose Python is not on this machine is skipped with a notice (tests/python_for.sh says where it
# looks), or fails when REQUIRE_PYTHONS=1 (as .ci/run sets). The run fails if a blocking job failed,
# after all have run, and ends with one "matrix: N passed, N failed" line counting the blocking checks.
set -euo pipefail
TIMEFORMAT='%U %S'
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venvs=${MATRIX_VENVS:-$root/.venv-matrix}
jobs=${MATRIX_JOBS:-$(nproc 2>/dev/null || echo 2)}
workers=${PYTEST_WORKERS:-auto}
logs=$venvs/logs
results=$logs/results.tsv
cd "$root"
mkdir -p "$logs"
rm -f "$logs"/*.log "$logs"/*.cpu "$results"

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
        venv) ;;
    esac
}

record() {  # record <entry> <job> <wall> <cpu> <result> <detail>: one line of results.tsv
    printf 'matrix %s %s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$results"
}

result_of() {  # result_of <entry> <job>: the result recorded for the job, if any
    awk -F '\t' -v name="matrix $1 $2" '$1 == name { print $4 }' "$results" 2>/dev/null
}

failure() {  # failure <requirements file>: how a failure of the entry counts
    if [[ $(header "$1" blocking) == no ]]; then echo "FAILED (not blocking)"; else echo FAILED; fi
}

entry_of() { basename "$1" .txt; }

python_of() {  # python_of <requirements file>: the entry's interpreter, or nothing
    tests/python_for.sh "$(header "$1" python)" 2>/dev/null || true
}

make_venv() {  # make_venv <requirements file>: the entry's venv, rebuilt when its requirements changed
    local requirements=$1 entry version python venv digest started status=0 result detail
    entry=$(entry_of "$requirements")
    version=$(header "$requirements" python)
    python=$(python_of "$requirements")
    venv=$venvs/$entry
    started=$SECONDS
    if [[ -z $python ]]; then
        echo "NOTICE: skipping $entry: no Python $version interpreter found" >&2
        record "$entry" venv 0 0 "$([[ ${REQUIRE_PYTHONS:-0} == 1 ]] && failure "$requirements" || echo SKIPPED)" "no Python $version"
        return 0
    fi
    digest=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [[ "$(cat "$venv/.installed" 2>/dev/null)" == "$digest" ]]; then
        record "$entry" venv 0 0 passed "kept, Python $version"
        return 0
    fi
    # The redirections go on a command inside the timed one: on the timed command itself (or through
    # exec in a timed subshell) they would take time's report along.
    { time { {
        rm -rf "$venv"
        "$python" -m venv "$venv" && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    } >"$logs/$entry.venv.log" 2>&1 </dev/null; }; } 2>"$logs/$entry.venv.cpu" || status=$?
    if [[ $status -eq 0 ]]; then
        echo "$digest" >"$venv/.installed"
        result=passed
        detail="Python $version, ansible-core $("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')"
    else
        result=$(failure "$requirements")
        detail="exit $status, log $logs/$entry.venv.log"
    fi
    record "$entry" venv $((SECONDS - started)) "$(awk '{ printf "%d", $1 + $2 }' "$logs/$entry.venv.cpu")" "$result" "$detail"
}

run_check() {  # run_check <requirements file> <check>
    local requirements=$1 check=$2 entry version venv home started status=0 result detail suites
    entry=$(entry_of "$requirements")
    version=$(header "$requirements" python)
    venv=$venvs/$entry
    result=$(result_of "$entry" venv)
    if [[ $result != passed ]]; then
        # No venv: its own line says why (no interpreter, or a failed install).
        [[ $result == SKIPPED ]] || result=$(failure "$requirements")
        record "$entry" "$check" 0 0 "$result" "no venv"
        return 0
    fi
    home=$venv/homes/$check
    mkdir -p "$home"
    started=$SECONDS
    # The venv's bin first: ansible-test, ansible-playbook and the tests' tools come from there.
    { time (
        export HOME=$home PATH="$venv/bin:$PATH"
        case $check in
            sanity) tests/sanity.sh ;;
            units | integration) tests/ansible_test.sh "$check" --local --python "$version" ;;
            pytest)
                suites=$(header "$requirements" pytest)
                # shellcheck disable=SC2086  # the suites are separate words
                "$venv/bin/python" -m pytest -n "$workers" ${suites:-tests/integration} ;;
            *) echo "unknown check: $check"; false ;;
        esac >"$logs/$entry.$check.log" 2>&1 </dev/null
    ); } 2>"$logs/$entry.$check.cpu" || status=$?
    # A pre-release can break for reasons that are ansible-core's to fix before its release: its
    # failures are reported so the next release holds no surprise, but do not fail the gate.
    if [[ $status -eq 0 ]]; then result=passed; else result=$(failure "$requirements"); fi
    detail=$(count "$check" "$logs/$entry.$check.log")
    [[ $status -eq 0 ]] || detail="$detail; exit $status, log $logs/$entry.$check.log"
    record "$entry" "$check" $((SECONDS - started)) "$(awk '{ printf "%d", $1 + $2 }' "$logs/$entry.$check.cpu")" "$result" "$detail"
}

throttle() {  # wait until fewer than $jobs jobs run
    while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
        wait -n || true
    done
}

entries=()
if [[ $# -gt 0 ]]; then
    for name in "$@"; do entries+=("tests/matrix/$name.txt"); done
else
    entries=(tests/matrix/*.txt)
fi
blocking=()
late=()
for requirements in "${entries[@]}"; do
    [[ -f $requirements ]] || { echo "matrix.sh: no such entry: $requirements" >&2; exit 2; }
    if [[ -z $(header "$requirements" python) || -z $(header "$requirements" checks) ]]; then
        echo "matrix.sh: $requirements must start with '# python: X.Y' and '# checks: ...'" >&2
        exit 2
    fi
    if [[ $(header "$requirements" blocking) == no ]]; then late+=("$requirements"); else blocking+=("$requirements"); fi
done

started_all=$SECONDS
echo "== version matrix: ${#entries[@]} entries, $jobs jobs at a time; logs in $logs"
for requirements in "${blocking[@]}" "${late[@]}"; do
    throttle
    make_venv "$requirements" &
done
wait
for check in pytest sanity integration units; do
    for requirements in "${blocking[@]}" "${late[@]}"; do
        [[ " $(header "$requirements" checks) " == *" $check "* ]] || continue
        throttle
        echo "== $(entry_of "$requirements") $check: started after $((SECONDS - started_all))s"
        run_check "$requirements" "$check" &
    done
done
wait

echo "== version matrix ($((SECONDS - started_all))s with $jobs jobs at a time)"
printf '%-40s %6s %6s  %-22s %s\n' job wall cpu result detail
passed=0
failed=0
for requirements in "${entries[@]}"; do
    entry=$(entry_of "$requirements")
    for job in venv $(header "$requirements" checks); do
        result=
        IFS=$'\t' read -r name wall cpu result detail < <(awk -F '\t' -v name="matrix $entry $job" '$1 == name' "$results") || true
        [[ -n $result ]] || { name="matrix $entry $job" wall="?" cpu="?" result=FAILED detail="no result"; }
        printf '%-40s %6s %6s  %-22s %s\n' "${name#matrix }" "$wall" "$cpu" "$result" "$detail"
        case $job/$result in
            venv/*) ;;
            */passed) passed=$((passed + 1)) ;;
            */FAILED) failed=$((failed + 1)) ;;
        esac
    done
done
while IFS=$'\t' read -r name wall cpu result detail; do
    log=$(sed -n 's/.*log \(.*\.log\)$/\1/p' <<<"$detail")
    if [[ $result == FAILED* && -n $log && -f $log ]]; then
        echo "---- ${name#matrix } $result: end of $log"
        tail -n 80 "$log"
    fi
done <"$results"
echo "matrix: $passed passed, $failed failed"
[[ $failed -eq 0 ]] && ! awk -F '\t' '$4 == "FAILED" { found = 1 } END { exit !found }' "$results"
