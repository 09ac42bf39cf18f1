#!/usr/bin/env bash
# Run compliance playbooks against the emulator that ships inside upstash.cloud, e.g. as a CI step.
# Needs ansible-core, requests and the collection installed; run it from the playbooks' directory.
set -euo pipefail

# Where ansible-galaxy installed the collection, and so the emulator.
collections=$(ansible-galaxy collection list upstash.cloud --format json |
    python3 -c 'import json, sys; print(next(p for p, found in json.load(sys.stdin).items() if "upstash.cloud" in found))')
emulator=$collections/upstash/cloud/emulator/upstash_emulator.py

python3 "$emulator" --port 0 --email ci@example.com --api-key ci-emulator-key >emulator.env &
emulator_pid=$!
trap 'kill "$emulator_pid"' EXIT
for _ in $(seq 100); do
    grep -q '^UPSTASH_API_URL=' emulator.env && break
    sleep 0.1
done
export "$(head -n 1 emulator.env)" UPSTASH_EMAIL=ci@example.com UPSTASH_API_KEY=ci-emulator-key

ansible-playbook compliance_state_table.yml

# The emulator's sample data has a failed connector (pg-source): the check must catch it.
if ansible-playbook compliance_no_failed.yml; then
    echo "compliance_no_failed.yml passed although a connector is failed" >&2
    exit 1
fi
echo "The compliance playbooks behave as expected."
