# shellcheck shell=bash
# Sourced by demo/run.sh and demo/ee.sh: the emulator with the demo's account on a free 127.0.0.1
# port. Needs python on PATH.
emulator_script=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/emulator/upstash_emulator.py
demo_email=demo@example.com
demo_api_key=emulator-demo-key
emulator_pid=

# start_emulator DIR [more emulator options...]: sets api_url; the emulator writes to DIR/emulator.out.
start_emulator() {
  local dir=$1
  shift
  echo "== Starting the emulator"
  python "$emulator_script" --port 0 --email "$demo_email" --api-key "$demo_api_key" "$@" \
    >"$dir/emulator.out" &
  emulator_pid=$!
  for _ in $(seq 100); do
    grep -q '^UPSTASH_API_URL=' "$dir/emulator.out" 2>/dev/null && break
    sleep 0.1
  done
  api_url=$(sed -n 's/^UPSTASH_API_URL=//p' "$dir/emulator.out")
  [ -n "$api_url" ] || { echo "the emulator did not start" >&2; exit 1; }
  echo "   emulator at $api_url"
}

stop_emulator() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
}
