# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The user guide (docs/docsite/rst) and the README show only code that runs here.

Every yaml, jinja and bash block of the guide is a verbatim excerpt of a file in
docs/docsite/recipes/, and every recipe there is run against the emulator below, with its outcome
checked. The error messages quoted in the troubleshooting guide are matched against the message
templates in plugins/, so a reworded message cannot leave the guide behind.

The README's shell blocks are a newcomer's path: each is run as written (install from the checkout,
the emulator started from the checkout, the quick-start playbook against it) or, where running it
would need Galaxy or change this venv, checked (make targets, the Galaxy name, pip's dry run). Its
tour playbook and template run against the emulator, and its table of environment variables is
the list the plugins read.
"""

from __future__ import annotations

import ast
import glob
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDE = os.path.join(ROOT, "docs", "docsite", "rst")
RECIPES = os.path.join(ROOT, "docs", "docsite", "recipes")
BIN = os.path.dirname(sys.executable)
PROD = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"

# Blocks in these languages must be excerpts of a recipe; console sessions and plain text need not.
CHECKED_LANGUAGES = ("yaml", "yaml+jinja", "jinja", "bash")
_CODE_BLOCK = re.compile(r"^(?P<indent>[ ]*)\.\. code-block:: *(?P<language>\S+) *$")


def code_blocks(path):
    """(language, first line number, dedented text) of each code-block directive of an RST file."""
    with open(path, encoding="utf-8") as rst:
        lines = rst.read().splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        match = _CODE_BLOCK.match(lines[index])
        index += 1
        if not match:
            continue
        indent = len(match.group("indent"))
        start = index
        # Directive options (":caption: ...") come first, then a blank line, then the body.
        while index < len(lines) and lines[index].strip().startswith(":"):
            index += 1
        body = []
        while index < len(lines) and (not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent):
            body.append(lines[index])
            index += 1
        text = textwrap.dedent("\n".join(body)).strip("\n")
        blocks.append((match.group("language"), start, text))
    return blocks


def is_excerpt(block, content):
    """True if block's lines appear consecutively in content, all shifted by the same indentation."""
    wanted = block.splitlines()
    lines = content.splitlines()
    for start in range(len(lines) - len(wanted) + 1):
        shift = len(lines[start]) - len(wanted[0])
        if shift < 0 or lines[start][shift:] != wanted[0] or lines[start][:shift].strip():
            continue
        if all(line == (" " * shift + want if want else "") or not want and not line.strip()
               for line, want in zip(lines[start:start + len(wanted)], wanted)):
            return True
    return False


def recipe_files():
    found = {}
    for path in glob.glob(os.path.join(RECIPES, "**", "*"), recursive=True):
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as recipe:
                found[os.path.relpath(path, RECIPES)] = recipe.read()
    return found


def guide_files():
    return sorted(glob.glob(os.path.join(GUIDE, "*.rst")))


def test_the_guide_exists_and_is_listed_in_extra_docs():
    with open(os.path.join(ROOT, "docs", "docsite", "extra-docs.yml"), encoding="utf-8") as extra:
        listed = [entry for section in yaml.safe_load(extra)["sections"] for entry in section["toctree"]]
    assert sorted(listed) == sorted(os.path.basename(path)[:-4] for path in guide_files())
    assert len(listed) >= 7


@pytest.mark.parametrize("path", guide_files(), ids=os.path.basename)
def test_every_code_block_of_the_guide_is_an_excerpt_of_a_tested_recipe(path):
    recipes = recipe_files()
    stale = []
    for language, line, text in code_blocks(path):
        if language not in CHECKED_LANGUAGES:
            continue
        if not any(is_excerpt(text, content) for content in recipes.values()):
            stale.append("%s:%d (%s block)" % (os.path.basename(path), line, language))
    assert stale == [], "not found verbatim in docs/docsite/recipes/: %s" % ", ".join(stale)


def test_every_recipe_is_shown_in_the_guide():
    blocks = [text for path in guide_files() for language, line, text in code_blocks(path) if language in CHECKED_LANGUAGES]
    missing = [name for name, content in recipe_files().items()
               if not any(block.strip() == content.strip() for block in blocks)]
    assert missing == []


def test_guide_cross_references_resolve():
    # antsibull-docs checks :ansplugin:/:ansopt: references; plain :ref: labels between the guides are checked here.
    labels, references = set(), []
    for path in guide_files():
        with open(path, encoding="utf-8") as rst:
            text = rst.read()
        labels.update(re.findall(r"^\.\. _(ansible_collections\.upstash\.cloud\.docsite\.[\w.-]+):$", text, re.M))
        references.extend(re.findall(r":ref:`(?:[^`<]*<)?([^`>]+)>?`", text))
    assert len(labels) == len(guide_files())
    assert sorted(set(references) - labels) == []


def _message_templates():
    """Every message-like string literal of plugins/, as a regular expression for its filled-in form."""
    templates = []
    for path in glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
                # Strings that are mostly placeholders ("%d %s") would match any sentence at all.
                if len(re.sub(r"%[-.\d]*[srdgif]", "", node.value).strip()) < 12:
                    continue
                pattern = re.escape(node.value)
                pattern = re.sub(r"%(?:\\\.)?\d*[srdgif]", ".+?", pattern)
                templates.append(re.compile(pattern))
    return templates


def troubleshooting_messages():
    path = os.path.join(GUIDE, "guide_troubleshooting.rst")
    return [text for language, line, text in code_blocks(path) if language == "text"]


def test_troubleshooting_quotes_real_messages():
    templates = _message_templates()
    messages = troubleshooting_messages()
    assert len(messages) >= 10
    unknown = [message for message in messages if not any(template.fullmatch(message) for template in templates)]
    assert unknown == []


# --- the recipes, run against the emulator ---------------------------------------------------------

@pytest.fixture
def recipes(tmp_path):
    copy = tmp_path / "recipes"
    shutil.copytree(RECIPES, str(copy))
    return copy


def run_recipe(ansible, recipes, name, *args, **kwargs):
    return ansible(str(recipes / name), *args, **kwargs)


def test_recipe_quickstart(ansible, recipes):
    output = run_recipe(ansible, recipes, "quickstart.yml")
    assert '"msg": "pg-source: failed"' in output
    assert '"mongo-sink",' in output


def test_recipe_credentials_from_vaulted_variables(ansible, recipes, emulator, it):
    project = recipes / "credentials"
    settings = project / "group_vars" / "all" / "upstash.yml"
    text = settings.read_text()
    # The recipe's placeholders give way to the emulator's values; the variable names are what is tested.
    text, emails = re.subn(r"(?m)^upstash_email: .*$", "upstash_email: " + it.email, text)
    text, urls = re.subn(r"(?m)^upstash_api_url: .*$", "upstash_api_url: " + emulator.url, text)
    assert emails == urls == 1
    settings.write_text(text)
    password = project / "vault-password"
    password.write_text("correct horse battery staple\n")
    vault = project / "group_vars" / "all" / "vault.yml"
    vault.write_text("upstash_api_key: %s\n" % it.api_key)
    subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt", "--vault-password-file", str(password), str(vault)],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert it.api_key not in vault.read_text()

    output = ansible(str(project / "credentials.yml"), "--vault-password-file", str(password), credentials=None)
    assert '"msg": "prod-events: 4 connectors"' in output
    assert '"msg": "empty: 0 connectors"' in output
    assert '"http-source",' in output
    assert emulator.stats()["requests"] >= 5


def test_recipe_compliance_fails_the_play_on_a_failed_connector(ansible, recipes):
    output = run_recipe(ansible, recipes, "compliance_no_failed.yml", expect_rc=2)
    assert "1 of 6 connectors failed: pg-source in cluster %s (Task threw an uncaught" % PROD in output


def test_recipe_compliance_table_of_states_per_cluster(ansible, recipes):
    run_recipe(ansible, recipes, "compliance_state_table.yml")
    assert (recipes / "connector-states.md").read_text().splitlines() == [
        "| cluster | running | failed | paused | pending | other | total |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        "| prod-events | 2 | 1 | 1 | 0 | 0 | 4 |",
        "| staging | 1 | 0 | 0 | 1 | 0 | 2 |",
        "| empty | 0 | 0 | 0 | 0 | 0 | 0 |",
    ]


class _Webhook(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", 0))
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Webhook.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/hooks/kafka" % server.server_address[1], _Webhook.received
    server.shutdown()
    server.server_close()


def test_recipe_alert_on_tasks_not_all_running(ansible, recipes, webhook):
    url, received = webhook
    output = run_recipe(ansible, recipes, "compliance_tasks_not_running.yml")
    assert received == []  # no webhook configured: printed only
    assert "es-sink (running) in cluster %s: tasks RUNNING, FAILED" % PROD in output

    run_recipe(ansible, recipes, "compliance_tasks_not_running.yml", extra_vars=dict(alert_webhook_url=url))
    assert len(received) == 1
    alert = received[0]
    assert [c["name"] for c in alert["connectors"]] == ["pg-source", "s3-archive", "es-sink", "http-source", "legacy-sink"]
    assert alert["connectors"][2]["tasks"] == ["RUNNING", "FAILED"]
    assert alert["text"].startswith("5 Kafka connector(s) with tasks not all RUNNING: pg-source, ")


def test_recipe_templates_render_a_report_and_metrics(ansible, recipes):
    run_recipe(ansible, recipes, "templates.yml")
    report = (recipes / "connectors-report.md").read_text()
    assert "## Cluster %s" % PROD in report
    assert "| es-sink | running | RUNNING, FAILED | io.aiven.connect.elasticsearch.ElasticsearchSinkConnector |" in report
    assert "| http-source | pending | - | com.github.castorm.kafka.connect.http.HttpSourceConnector |" in report
    metrics = (recipes / "upstash_kafka_connectors.prom").read_text().splitlines()
    assert metrics[1] == "# TYPE upstash_kafka_connector_up gauge"
    assert 'upstash_kafka_connector_up{cluster_id="%s",connector="mongo-sink",state="running"} 1' % PROD in metrics
    assert 'upstash_kafka_connector_up{cluster_id="%s",connector="es-sink",state="running"} 0' % PROD in metrics
    assert len([line for line in metrics if line.startswith("upstash_kafka_connector_up{")]) == 6


@pytest.mark.parametrize("mode", [[], ["--check"]], ids=["run", "check"])
def test_recipe_module_vs_lookup(ansible, recipes, mode):
    output = run_recipe(ansible, recipes, "module_vs_lookup.yml", *mode)
    assert "failed=0" in output


def test_recipe_restart_every_failed_connector_and_wait(ansible, recipes, emulator):
    output = run_recipe(ansible, recipes, "restart_failed.yml")
    assert '"msg": "Restarted and running: pg-source"' in output
    posts = [entry["path"] for entry in emulator.stats()["requests_log"] if entry["method"] != "GET"]
    assert posts == ["/v2/kafka/connector/cHJvZC1ldmVudHMvcGctc291cmNl/restart"]
    # nothing is failed any more, so a second run restarts nothing
    output = run_recipe(ansible, recipes, "restart_failed.yml")
    assert '"msg": "Restarted and running: none"' in output
    assert len([entry for entry in emulator.stats()["requests_log"] if entry["method"] != "GET"]) == 1


def test_recipe_ci_script_with_the_bundled_emulator(collections_path, recipes, tmp_path):
    environment = dict((name, value) for name, value in os.environ.items() if not name.startswith(("UPSTASH_", "ANSIBLE_")))
    environment.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path,
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        PATH=BIN + os.pathsep + environment.get("PATH", ""),
    )
    result = subprocess.run(["bash", str(recipes / "ci.sh")], cwd=str(recipes), env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-6000:]
    assert re.search(r"1 of \d+ connectors failed: pg-source in cluster", result.stdout), result.stdout[-6000:]
    assert result.stdout.rstrip().endswith("The compliance playbooks behave as expected.")


def test_every_recipe_has_a_test():
    tested = {
        "quickstart.yml", "credentials/credentials.yml", "credentials/group_vars/all/upstash.yml",
        "compliance_no_failed.yml", "compliance_state_table.yml", "templates/connector_states.md.j2",
        "compliance_tasks_not_running.yml", "templates.yml", "templates/connectors_report.md.j2",
        "templates/upstash_kafka_connectors.prom.j2", "module_vs_lookup.yml", "ci.sh", "restart_failed.yml",
        # Run by test_awx.py and test_execution_environment.py.
        "platform/credential_type.yml", "platform/execution-environment.yml", "platform/internal_ca.yml",
    }
    assert set(recipe_files()) == tested


# --- the README ------------------------------------------------------------------------------------

README = os.path.join(ROOT, "README.md")
_FENCE = re.compile(r"^```(?P<language>[\w+-]*)\n(?P<body>.*?)^```$", re.M | re.S)
SHELL_LANGUAGES = ("sh", "bash", "shell", "console")
# The URL the README shows the emulator printing; the tests put the one it really printed instead.
EXAMPLE_URL = "http://127.0.0.1:40731"
GALAXY_INSTALL = "ansible-galaxy collection install upstash.cloud"
PIP_INSTALL = "python3 -m pip install -r requirements.txt"
START_EMULATOR = "python3 emulator/upstash_emulator.py"


def readme_blocks(*languages):
    with open(README, encoding="utf-8") as readme:
        text = readme.read()
    return [match.group("body") for match in _FENCE.finditer(text) if match.group("language") in languages]


def commands(block):
    """The commands of a shell block, without comments."""
    return [line.split(" #")[0].strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def readme_block_kind(block):
    """How the user-path test runs or checks a shell block of the README; None: it does not know it."""
    lines = commands(block)
    if lines and all(line.startswith("make ") for line in lines):
        return "make targets"
    if lines == [GALAXY_INSTALL]:
        return "install from Galaxy"
    if lines and lines[0].startswith("ansible-galaxy collection build"):
        return "install from the checkout"
    if lines == [PIP_INSTALL]:
        return "requests"
    if lines == [START_EMULATOR]:
        return "start the emulator"
    if EXAMPLE_URL in block and lines[-1].startswith("ansible-playbook "):
        return "a playbook against the emulator"
    return None


def _user_environment(home):
    environment = dict((name, value) for name, value in os.environ.items() if not name.startswith(("UPSTASH_", "ANSIBLE_")))
    environment.update(HOME=str(home), ANSIBLE_NOCOLOR="1", PATH=BIN + os.pathsep + environment.get("PATH", ""))
    return environment


def _bash(block, cwd, environment, timeout=120):
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=str(cwd), env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, "%s\n%s" % (block, result.stdout[-6000:])
    assert "Traceback" not in result.stdout, result.stdout[-6000:]
    return result.stdout


def test_every_shell_block_of_the_readme_is_run_or_checked():
    blocks = readme_blocks(*SHELL_LANGUAGES)
    unknown = [block for block in blocks if readme_block_kind(block) is None]
    assert unknown == [], "README shell blocks no test runs or checks: %r" % unknown
    assert sorted(set(readme_block_kind(block) for block in blocks)) == sorted([
        "make targets", "install from Galaxy", "install from the checkout", "requests", "start the emulator",
        "a playbook against the emulator",
    ])


def test_the_readmes_make_commands_are_targets_of_the_makefile():
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as makefile:
        targets = set(re.findall(r"^([\w-]+):", makefile.read(), re.M))
    named = [line.split()[1] for block in readme_blocks(*SHELL_LANGUAGES) if readme_block_kind(block) == "make targets"
             for line in commands(block)]
    assert "demo" in named and "test" in named
    assert sorted(set(named) - targets) == []


def test_the_readmes_user_path_runs_as_written(tmp_path):
    """Install from Galaxy (its name checked), from the checkout (run), requests (pip's dry run), the
    emulator from the checkout (run) and the quick-start playbook against it (run), in a checkout copy
    with an empty HOME."""
    checkout, home = tmp_path / "checkout", tmp_path / "home"
    shutil.copytree(ROOT, str(checkout), ignore=shutil.ignore_patterns(
        ".git", ".venv*", ".ansible", ".cache", "__pycache__", "*.pyc", ".pytest_cache", ".hypothesis", "output",
        "*.tar.gz", "build", "dist", "tests", "benchmarks"))
    home.mkdir()
    environment = _user_environment(home)
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as galaxy_file:
        galaxy = yaml.safe_load(galaxy_file)
    kinds = [(readme_block_kind(block), block) for block in readme_blocks(*SHELL_LANGUAGES)]
    emulator = None
    try:
        for kind, block in kinds:
            if kind == "install from Galaxy":
                assert GALAXY_INSTALL.split()[-1] == "%s.%s" % (galaxy["namespace"], galaxy["name"])
            elif kind == "install from the checkout":
                output = _bash(block, checkout, environment)
                assert re.search(r"^upstash\.cloud +%s *$" % re.escape(galaxy["version"]), output, re.M), output
                installed = home / ".ansible" / "collections" / "ansible_collections" / "upstash" / "cloud"
                assert (installed / "MANIFEST.json").is_file()
            elif kind == "requests":
                # Into this venv, which has them: pip checks the file without the index and installs nothing.
                output = _bash(block.replace(PIP_INSTALL, PIP_INSTALL + " --dry-run --no-index"), checkout, environment)
                assert "Requirement already satisfied: requests" in output
            elif kind == "start the emulator":
                emulator = subprocess.Popen(["bash", "-c", block], cwd=str(checkout), env=environment,  # pylint: disable=consider-using-with
                                            stdout=subprocess.PIPE, text=True, start_new_session=True)
                line = emulator.stdout.readline().strip()
                assert re.fullmatch(r"UPSTASH_API_URL=http://127\.0\.0\.1:\d+", line), line
                url = line.split("=", 1)[1]
            elif kind == "a playbook against the emulator":
                assert emulator is not None, "the README runs a playbook before it starts the emulator"
                output = _bash(block.replace(EXAMPLE_URL, url), checkout, environment)
                assert '"msg": "pg-source: failed"' in output
                assert "failed=0" in output
                assert "emulator-demo-key" not in output
    finally:
        if emulator is not None:
            os.killpg(emulator.pid, 15)
            emulator.wait(timeout=10)
    assert emulator is not None


def test_the_readmes_tour_and_template_run_against_the_emulator(ansible, tmp_path, emulator):
    playbooks = [yaml.safe_load(block) for block in readme_blocks("yaml")]
    assert len(playbooks) == 1 and "hosts" in playbooks[0][0]
    tour = playbooks[0]
    (template,) = readme_blocks("jinja")
    (tmp_path / "template.j2").write_text(template)
    # The template, rendered once more at the end of the tour, for the cluster the emulator calls prod-events.
    tour[0]["tasks"].append({"name": "The README's template", "ansible.builtin.template": {
        "src": str(tmp_path / "template.j2"), "dest": str(tmp_path / "rendered.txt"), "mode": "0644"},
        "vars": {"cluster_id": PROD}})
    (tmp_path / "tour.yml").write_text(yaml.safe_dump(tour, sort_keys=False))
    output = ansible(str(tmp_path / "tour.yml"))
    assert "changed: [localhost] => (item=pg-source)" in output
    assert '"msg": "pg-source: running"' in output
    assert "failed=0" in output
    assert (tmp_path / "rendered.txt").read_text().strip() == "mongo-sink is running"
    assert [entry["path"] for entry in emulator.stats()["requests_log"] if entry["method"] != "GET"] == [
        "/v2/kafka/connector/cHJvZC1ldmVudHMvcGctc291cmNl/restart"]


def test_the_readme_lists_every_environment_variable_the_plugins_read():
    read = set()
    for path in glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as source:
            read.update(re.findall(r"\bUPSTASH_[A-Z_]+\b", source.read()))
    with open(README, encoding="utf-8") as readme:
        listed = set(re.findall(r"^\| `(UPSTASH_[A-Z_]+)` \|", readme.read(), re.M))
    assert {"UPSTASH_EMAIL", "UPSTASH_API_KEY", "UPSTASH_API_URL", "UPSTASH_VALIDATE_CERTS", "UPSTASH_CA_PATH",
            "UPSTASH_MAX_RESPONSE_MB"} <= read
    assert listed == read
