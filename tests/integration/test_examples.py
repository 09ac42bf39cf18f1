# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The EXAMPLES that ansible-doc shows for every module and lookup, run against the emulator.

Each plugin's examples become one play: the placeholders they use (a cluster id, an e-mail, a URL,
variables such as vault_upstash_api_key) are given the emulator's values, and a template an example
only shows in a comment ("# name.j2:" followed by its lines) is written out. Every example task must
succeed, except the compliance checks listed in EXPECTED_FAILURES: against the emulator's data (a
failed connector in prod-events) they must fail, with the message they promise. The examples are
also held to ansible-lint's production profile, like every playbook of the collection.
"""

from __future__ import annotations

import ast
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
PLUGINS = sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")) + glob.glob(os.path.join(ROOT, "plugins", "lookup", "*.py")))

# Placeholder literals of the examples, and what stands in for them against the emulator.
PLACEHOLDER_CLUSTER_ID = "5ef8cf3e-8a9b-4e5a-9d3c-2b1f0a7c6d11"
PLACEHOLDER_EMAIL = "ops@example.com"
PLACEHOLDER_URL = "http://127.0.0.1:8080"
PLACEHOLDER_DIR = "/tmp/"

# Example task name -> the message its failure must carry (a regular expression).
EXPECTED_FAILURES = {
    "upstash_kafka_connector_info": {
        "Compliance check, fail the play if any connector is failed": r"^1 of 6 connectors failed: pg-source$",
    },
    "upstash_kafka_connectors": {
        "Audit every cluster of the account": r"^Assertion failed$",
    },
}


def plugin_name(path):
    return os.path.basename(path)[:-3]


def examples_text(path):
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "EXAMPLES" for target in node.targets):
            return ast.literal_eval(node.value)
    return None


def commented_templates(text):
    """{"name.j2": content} for each "# name.j2:" comment followed by "# " template lines."""
    templates = {}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^(\s*)# ([\w.-]+\.j2):\s*$", line)
        if not match:
            continue
        prefix = match.group(1) + "# "
        body = []
        for following in lines[index + 1:]:
            if not following.startswith(prefix.rstrip()):
                break
            body.append(following[len(prefix):])
        templates[match.group(2)] = "\n".join(body) + "\n"
    return templates


def localised(text, emulator, it, output_dir):
    for placeholder, value in ((PLACEHOLDER_CLUSTER_ID, it.prod), (PLACEHOLDER_EMAIL, it.email), (PLACEHOLDER_URL, emulator.url),
                               (PLACEHOLDER_DIR, output_dir.rstrip("/") + "/")):
        text = text.replace(placeholder, value)
    return text


def play(tasks):
    return {
        "name": "Examples", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            # Variables the examples take as given, as a user's inventory or vault would define them.
            "vault_upstash_api_key": "{{ it_api_key }}", "vault_mongodb_password": "example-mongo-password",
            "upstash_email": "{{ it_email }}", "upstash_api_key": "{{ it_api_key }}",
            "cluster_id": "{{ prod }}", "cluster_a": "{{ staging }}", "cluster_b": "{{ empty }}", "example_failures": [],
        },
        "tasks": tasks,
    }


def example_project(path, tmp_path, emulator, it):
    """A directory with a playbook that runs every example of the plugin, each in its own block."""
    text = examples_text(path)
    assert text and text.strip(), "%s has no EXAMPLES" % path
    project = tmp_path / ("examples-" + plugin_name(path))
    (project / "templates").mkdir(parents=True)
    for name, content in commented_templates(text).items():
        (project / "templates" / name).write_text(content)
    examples = yaml.safe_load(localised(text, emulator, it, str(tmp_path)))
    assert isinstance(examples, list) and examples, "EXAMPLES of %s is not a list of tasks" % path
    for example in examples:
        assert example.get("name"), "every example task needs a name: %r" % example
    wrapped = [
        {
            "name": "Example: " + example["name"],
            "block": [example],
            "rescue": [{
                "name": "Record the failure",
                "ansible.builtin.set_fact": {
                    "example_failures": "{{ example_failures + [{'name': %s, 'msg': ansible_failed_result.msg}] }}"
                                        % json.dumps(example["name"]),
                },
            }],
        }
        for example in examples
    ]
    wrapped.append({
        "name": "Save the failures",
        "ansible.builtin.copy": {"content": "{{ example_failures | to_json }}", "dest": str(project / "failures.json"),
                                 "mode": "0644"},
    })
    (project / "examples.yml").write_text(yaml.safe_dump([play(wrapped)], sort_keys=False))
    # Linted as written, so the examples' own layout is checked, not a re-serialisation of it.
    header = yaml.safe_dump([dict(play([]), tasks=None)], sort_keys=False, default_flow_style=False)
    header = header.replace("  tasks: null\n", "  tasks:\n")
    assert header.endswith("  tasks:\n"), header
    indented = "".join("    " + line if line.strip() else line for line in text.strip("\n").splitlines(True))
    (project / "lint.yml").write_text("---\n" + header + indented + "\n")
    return project


@pytest.mark.parametrize("path", PLUGINS, ids=plugin_name)
def test_examples_run_against_the_emulator(path, ansible, emulator, it, tmp_path):
    project = example_project(path, tmp_path, emulator, it)
    output = ansible(str(project / "examples.yml"), extra_vars=dict(it_email=it.email, it_api_key=it.api_key))
    with open(str(project / "failures.json")) as saved:
        failures = dict((failure["name"], failure["msg"]) for failure in json.load(saved))
    expected = EXPECTED_FAILURES.get(plugin_name(path), {})
    assert sorted(failures) == sorted(expected), output[-6000:]
    for name, pattern in expected.items():
        assert re.search(pattern, failures[name]), (name, failures[name])
    assert "[WARNING]" not in output, output[-6000:]


@pytest.mark.parametrize("path", PLUGINS, ids=plugin_name)
def test_examples_pass_ansible_lint_production(path, collections_path, emulator, it, tmp_path):
    lint = os.path.join(BIN, "ansible-lint")
    if not os.path.exists(lint):
        pytest.skip("ansible-lint is not installed in this venv (only make test's venv has it)")
    project = example_project(path, tmp_path, emulator, it)
    shutil.copy(os.path.join(ROOT, ".ansible-lint"), str(project / ".ansible-lint"))
    environment = dict((name, value) for name, value in os.environ.items() if not name.startswith("ANSIBLE_"))
    environment.update(ANSIBLE_COLLECTIONS_PATH=collections_path, NO_COLOR="1", HOME=str(tmp_path / "home"),
                       PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([lint, "--project-dir", str(project), str(project / "lint.yml")], cwd=str(project),
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert result.returncode == 0, result.stdout[-6000:]
