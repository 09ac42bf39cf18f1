#!/usr/bin/env bash
# Build and install the collection, start the emulator, run the demo playbook, stop the emulator.
# Expects ansible-galaxy, ansible-playbook and python on PATH (make demo provides them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
emulator_pid=
cleanup() {
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== Building and installing upstash.cloud"
ansible-galaxy collection build "$root" --output-path "$work" --force >/dev/null
ansible-galaxy collection install "$work"/upstash-cloud-*.tar.gz -p "$work/collections" --force >/dev/null

echo "== Starting the emulator"
python "$root/emulator/upstash_emulator.py" --port 0 --email demo@example.com --api-key emulator-demo-key \
  > "$work/emulator.out" &
emulator_pid=$!
for _ in $(seq 100); do
  grep -q '^UPSTASH_API_URL=' "$work/emulator.out" 2>/dev/null && break
  sleep 0.1
done
api_url=$(sed -n 's/^UPSTASH_API_URL=//p' "$work/emulator.out")
[ -n "$api_url" ] || { echo "the emulator did not start" >&2; exit 1; }
echo "   emulator at $api_url"

echo "== Running demo/site.yml"
cp -r "$root/demo/." "$work/demo"
UPSTASH_API_URL="$api_url" UPSTASH_EMAIL=demo@example.com UPSTASH_API_KEY=emulator-demo-key \
  ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_LOCALHOST_WARNING=false \
  ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
  ansible-playbook "$work/demo/site.yml"

echo "== The report rendered through the lookup"
cat "$work/demo/connectors-report.md"
