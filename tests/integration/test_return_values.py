# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every plugin's RETURN documentation, as ansible-doc shows it, against real results from the emulator.

playbooks/return_values.yml calls each plugin in each scope (one cluster, a cluster by name, the whole
account, one connector by id, a projection with fields; the modules also as a module process) and
writes the results down. Each result is then held to its documentation: every key it returns is
documented, with the documented type; every key documented as returned in that call is there; and
every documented key turns up in some result, so the documentation describes nothing that never comes.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

# Keys Ansible itself adds to a task result (loops, async, failures, warnings), not the plugin.
ANSIBLE_KEYS = frozenset([
    "changed", "failed", "msg", "exception", "invocation", "item", "ansible_loop_var", "ansible_job_id", "finished",
    "started", "results_file", "stdout", "stdout_lines", "stderr", "stderr_lines", "warnings", "deprecations",
])
# The emulator's stand-in for a field a future API version adds: kept as sent, documented nowhere.
UNKNOWN_FUTURE_FIELDS = frozenset(["schema_version"])

TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "list": (list,), "dict": (dict,),
         "complex": (dict,), "raw": (object,), "any": (object,)}
REQUIRED, OPTIONAL, ABSENT = "required", "optional", "absent"

# What each `returned:` text of the documentation promises for a call: whether the key must be in its
# result, may be, or must not be. A text this table does not know fails the test, so none is ignored.
CONDITIONS = (
    (re.compile(r"always"), lambda call: REQUIRED),
    (re.compile(r"success"), lambda call: ABSENT if call.failed else REQUIRED),
    (re.compile(r"always, unless O\(fields\) leaves it out"), lambda call: OPTIONAL if call.fields else REQUIRED),
    (re.compile(r"when sent by the API, and always for the whole account; unless O\(fields\) leaves it out"),
     lambda call: REQUIRED if call.whole_account and not call.fields else OPTIONAL),
    # A condition on what went wrong: never in a successful result.
    (re.compile(r"on failure\b.*"), lambda call: OPTIONAL if call.failed else ABSENT),
    # A condition on what the API sent or on the options: the key may be missing.
    (re.compile(r"when .+"), lambda call: OPTIONAL),
)


def expectation(returned, call):
    for pattern, expect in CONDITIONS:
        if pattern.fullmatch(returned):
            return expect(call)
    raise AssertionError("returned: %r is not a condition this test knows; add it to CONDITIONS" % returned)


def call_from(item, failed=False):
    """What a call asked for, from the options its loop item gave, and how it ended."""
    item = item.get("args", item)
    scoped = any(item.get(option) for option in ("terms", "cluster_id", "cluster_name", "connector_id"))
    return types.SimpleNamespace(whole_account=not scoped, fields=item.get("fields") is not None, failed=failed)


def _description(spec):
    description = spec.get("description", "")
    return " ".join(description) if isinstance(description, list) else description


def check_value(spec, value, call, path, problems, seen):
    seen.add(path)
    if value is None:
        if "V(null)" not in _description(spec):
            problems.append("%s: null, but its description does not say it can be V(null)" % path)
        return
    wanted = spec.get("type", "str")
    if not isinstance(value, TYPES[wanted]) or (wanted in ("int", "float") and isinstance(value, bool)):
        problems.append("%s: %s, documented as %s" % (path, type(value).__name__, wanted))
        return
    if wanted == "list":
        elements = spec.get("elements")
        for index, element in enumerate(value):
            element_spec = dict(spec, type=elements) if elements else {"type": "raw"}
            element_spec.pop("elements", None)
            check_value(element_spec, element, call, path + "[]", problems, seen)
    elif wanted in ("dict", "complex") and "contains" in spec:
        check_keys(spec["contains"], value, call, path + ".", problems, seen)


def check_keys(specs, result, call, prefix, problems, seen, ignored=frozenset()):
    for key, value in result.items():
        if key in ignored:
            continue
        if key not in specs:
            if key not in UNKNOWN_FUTURE_FIELDS:
                problems.append("%s%s: returned, but not documented" % (prefix, key))
            continue
        if expectation(specs[key].get("returned", ""), call) == ABSENT:
            problems.append("%s%s: documented as returned %r, but in a call with %s"
                            % (prefix, key, specs[key]["returned"], vars(call)))
        check_value(specs[key], value, call, prefix + key, problems, seen)
    for key, spec in specs.items():
        if key not in result and expectation(spec.get("returned", ""), call) == REQUIRED:
            problems.append("%s%s: documented as returned %r, missing from a call with %s"
                            % (prefix, key, spec["returned"], vars(call)))


def documented_paths(specs, prefix=""):
    paths = set()
    for key, spec in specs.items():
        path = prefix + key
        paths.add(path)
        if spec.get("type") == "list" and spec.get("elements"):
            path += "[]"
            paths.add(path)
        if "contains" in spec:
            paths.update(documented_paths(spec["contains"], path + "."))
    return paths


def plugin_names(kind):
    directory = {"module": "modules", "lookup": "lookup"}[kind]
    return sorted(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(ROOT, "plugins", directory, "*.py")))


@pytest.fixture
def results(ansible, tmp_path):
    ansible("return_values.yml")
    with open(str(tmp_path / "return_values.json")) as written:
        return json.load(written)


def documentation(collections_path, kind, names):
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    output = subprocess.run(
        [os.path.join(BIN, "ansible-doc"), "-t", kind, "--json"] + ["upstash.cloud." + name for name in names],
        env=environment, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ).stdout
    return dict((name.split(".")[-1], doc) for name, doc in json.loads(output).items())


def test_return_documentation_matches_real_results(results, collections_path):
    # Every plugin has real results here: a new plugin needs its calls in return_values.yml.
    assert sorted(results["module"]) == plugin_names("module")
    assert sorted(results["lookup"]) == plugin_names("lookup")
    modules = documentation(collections_path, "module", plugin_names("module"))
    lookups = documentation(collections_path, "lookup", plugin_names("lookup"))
    problems = []

    for name, calls in results["module"].items():
        returns = modules[name]["return"]
        seen = set()
        # Successful calls in several scopes, and one that fails.
        assert len(calls) >= 3 and [result["failed"] for result in calls].count(True) == 1, name
        for result in calls:
            call = call_from(result["item"], failed=result["failed"])
            check_keys(returns, result, call, name + ": ", problems, seen, ignored=ANSIBLE_KEYS)
        never = sorted(documented_paths(returns, name + ": ") - seen)
        problems.extend("%s: documented, but in no real result" % path for path in never)

    connectors = modules["upstash_kafka_connector_info"]["return"]["connectors"]
    for name, calls in results["lookup"].items():
        returns = lookups[name]["return"]
        spec = returns["_list"]
        # The lookup documents its elements by pointing at the module's connectors.
        assert "RV(upstash.cloud.upstash_kafka_connector_info#module:connectors)" in _description(spec)
        spec = dict(spec, contains=connectors["contains"])
        seen = set()
        for call in calls:
            check_value(spec, call["result"], call_from(call["item"]), name + ": _list", problems, seen)
        never = sorted(documented_paths({"_list": spec}, name + ": ") - seen)
        problems.extend("%s: documented, but in no real result" % path for path in never)

    problems = list(dict.fromkeys(problems))  # each problem once, not once per result
    assert not problems, "\n" + "\n".join(problems)


def test_the_checker_finds_what_it_looks_for():
    """The checker itself, on results that break each rule once."""
    item = {"id": {"type": "str", "returned": "always, unless O(fields) leaves it out"},
            "count": {"type": "int", "returned": "when sent by the API"},
            "tags": {"type": "list", "elements": "str", "returned": "when sent by the API", "description": "V(null) when there are none."}}
    specs = {"items": {"type": "list", "elements": "dict", "returned": "success", "contains": item},
             "status": {"type": "int", "returned": "on failure, when there is one"}, "name": {"type": "str", "returned": "always"}}

    def problems(result, whole_account=True, fields=False, failed=False):
        found = []
        check_keys(specs, result, types.SimpleNamespace(whole_account=whole_account, fields=fields, failed=failed), "", found, set())
        return found

    call = "a call with {'whole_account': True, 'fields': False, 'failed': False}"
    assert problems({"name": None, "status": 500, "items": [{"id": "a", "count": True, "tags": None, "extra": 1}, {"count": 2, "tags": [3]}]}) == [
        "name: null, but its description does not say it can be V(null)",
        "status: documented as returned 'on failure, when there is one', but in " + call,
        "items[].count: bool, documented as int", "items[].extra: returned, but not documented", "items[].tags[]: int, documented as str",
        "items[].id: documented as returned 'always, unless O(fields) leaves it out', missing from " + call]
    assert problems({"name": "n", "items": [{"count": 1}]}, fields=True) == problems({"name": "n", "status": 404}, failed=True) == []
    with pytest.raises(AssertionError, match="not a condition this test knows"):
        expectation("sometimes", types.SimpleNamespace())
    assert documented_paths(item) == {"id", "count", "tags", "tags[]"}
