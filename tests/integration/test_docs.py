# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The user guide (docs/docsite/rst) and the README show only code that runs here.

Every yaml, jinja and bash block of the guide is a verbatim excerpt of a file in docs/docsite/recipes/, and every
recipe there is run against the emulator below, with its outcome checked. The troubleshooting guide's error messages
are matched against the message templates in plugins/, so a reworded message cannot leave the guide behind.
The README's shell blocks are a newcomer's path: each is run as written or, where running it would need Galaxy or
change this venv, checked. Its tour and template run against the emulator, and its table of environment variables is
the list the plugins read.
"""

from __future__ import annotations

import ast
import base64
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
import urllib.request

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDE = os.path.join(ROOT, "docs", "docsite", "rst")
RECIPES = os.path.join(ROOT, "docs", "docsite", "recipes")
BIN = os.path.dirname(sys.executable)
PROD = "7c1e5a52-3d0b-4c44-9f0e-5b8a6f2d9e01"

# Blocks in these languages must be excerpts of a recipe; console sessions and plain text need not.
CHECKED_LANGUAGES = ("yaml", "yaml+jinja", "jinja", "bash")
# The directive, its options (":caption: ..."), then the body: blank lines and lines indented deeper than the directive.
_CODE_BLOCK = re.compile(r"^(?P<indent> *)\.\. code-block:: *(?P<language>\S+) *\n(?:[ \t]*:.*\n)*"
                         r"(?P<body>(?:(?P=indent) +\S.*\n|[ \t]*\n)*)", re.M)


def code_blocks(path):
    """(language, line number, dedented text) of each code-block directive of an RST file."""
    text = _read(path) + "\n"
    return [(match.group("language"), text.count("\n", 0, match.start()) + 1, textwrap.dedent(match.group("body")).strip("\n"))
            for match in _CODE_BLOCK.finditer(text)]


def is_excerpt(block, content):
    """True if block's lines appear consecutively in content, all shifted by the same indentation."""
    return any("\n%s\n" % textwrap.indent(block, " " * shift) in "\n%s\n" % content for shift in range(41))


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def recipe_files():
    paths = glob.glob(os.path.join(RECIPES, "**", "*"), recursive=True)
    return dict((os.path.relpath(path, RECIPES), _read(path)) for path in paths if os.path.isfile(path))


def guide_files():
    return sorted(glob.glob(os.path.join(GUIDE, "*.rst")))


def test_the_guide_exists_and_is_listed_in_extra_docs():
    listed = [entry for section in yaml.safe_load(_read("docs", "docsite", "extra-docs.yml"))["sections"] for entry in section["toctree"]]
    assert sorted(listed) == sorted(os.path.basename(path)[:-4] for path in guide_files()) and len(listed) >= 7


@pytest.mark.parametrize("path", guide_files(), ids=os.path.basename)
def test_every_code_block_of_the_guide_is_an_excerpt_of_a_tested_recipe(path):
    recipes = recipe_files().values()
    stale = ["%s:%d (%s block)" % (os.path.basename(path), line, language) for language, line, text in code_blocks(path)
             if language in CHECKED_LANGUAGES and not any(is_excerpt(text, content) for content in recipes)]
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
        text = _read(path)
        labels.update(re.findall(r"^\.\. _(ansible_collections\.upstash\.cloud\.docsite\.[\w.-]+):$", text, re.M))
        references.extend(re.findall(r":ref:`(?:[^`<]*<)?([^`>]+)>?`", text))
    assert len(labels) == len(guide_files())
    assert sorted(set(references) - labels) == []


def _message_templates():
    """Every message-like string literal of plugins/, as a regular expression for its filled-in form."""
    templates = []
    for path in glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True):
        for node in ast.walk(ast.parse(_read(path))):
            # Strings that are mostly placeholders ("%d %s") would match any sentence at all.
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value
                    and len(re.sub(r"%[-.\d]*[srdgif]", "", node.value).strip()) >= 12):
                templates.append(re.compile(re.sub(r"%(?:\\\.)?\d*[srdgif]", ".+?", re.escape(node.value))))
    return templates


def test_troubleshooting_quotes_real_messages():
    templates = _message_templates()
    messages = [text for language, _line, text in code_blocks(os.path.join(GUIDE, "guide_troubleshooting.rst")) if language == "text"]
    assert len(messages) >= 10
    unknown = [message for message in messages if not any(template.fullmatch(message) for template in templates)]
    assert unknown == []


# --- the recipes, run against the emulator ---------------------------------------------------------

@pytest.fixture
def recipes(tmp_path):
    shutil.copytree(RECIPES, str(tmp_path / "recipes"))
    return tmp_path / "recipes"


def _environment(**settings):
    """This environment without UPSTASH_ and ANSIBLE_ variables, with this venv first on PATH and the settings."""
    environment = dict((name, value) for name, value in os.environ.items() if not name.startswith(("UPSTASH_", "ANSIBLE_")))
    environment.update(ANSIBLE_NOCOLOR="1", PATH=BIN + os.pathsep + environment.get("PATH", ""), **settings)
    return environment


def _bash(block, cwd, environment, timeout=120):
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=str(cwd), env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, "%s\n%s" % (block, result.stdout[-6000:])
    assert "Traceback" not in result.stdout, result.stdout[-6000:]
    return result.stdout


def _changes(emulator):
    """(method, path) of each request but the GETs, as the emulator logged them."""
    return [(entry["method"], entry["path"]) for entry in emulator.stats()["requests_log"] if entry["method"] != "GET"]


def test_recipe_quickstart(ansible, recipes):
    output = ansible(str(recipes / "quickstart.yml"))
    assert '"msg": "pg-source: failed"' in output and '"mongo-sink",' in output


def test_recipe_credentials_from_vaulted_variables(ansible, recipes, emulator, it):
    project = recipes / "credentials"
    settings = project / "group_vars" / "all" / "upstash.yml"
    # The recipe's placeholders give way to the emulator's values; the variable names are what is tested.
    text, emails = re.subn(r"(?m)^upstash_email: .*$", "upstash_email: " + it.email, settings.read_text())
    text, urls = re.subn(r"(?m)^upstash_api_url: .*$", "upstash_api_url: " + emulator.url, text)
    assert emails == urls == 1
    settings.write_text(text)
    password, vault = project / "vault-password", project / "group_vars" / "all" / "vault.yml"
    password.write_text("correct horse battery staple\n")
    vault.write_text("upstash_api_key: %s\n" % it.api_key)
    subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt", "--vault-password-file", str(password), str(vault)],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert it.api_key not in vault.read_text()
    output = ansible(str(project / "credentials.yml"), "--vault-password-file", str(password), credentials=None)
    assert '"msg": "prod-events: 4 connectors"' in output and '"msg": "empty: 0 connectors"' in output
    assert '"http-source",' in output and emulator.stats()["requests"] >= 5


def test_recipe_compliance_fails_the_play_on_a_failed_connector(ansible, recipes):
    output = ansible(str(recipes / "compliance_no_failed.yml"), expect_rc=2)
    assert "1 of 6 connectors failed: pg-source in cluster %s (Task threw an uncaught" % PROD in output


def test_recipe_compliance_table_of_states_per_cluster(ansible, recipes):
    ansible(str(recipes / "compliance_state_table.yml"))
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
        self.received.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


def test_recipe_alert_on_tasks_not_all_running(ansible, recipes):
    output = ansible(str(recipes / "compliance_tasks_not_running.yml"))
    # no webhook configured: printed only
    assert "es-sink (running) in cluster %s: tasks RUNNING, FAILED" % PROD in output
    _Webhook.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/hooks/kafka" % server.server_address[1]
        ansible(str(recipes / "compliance_tasks_not_running.yml"), extra_vars=dict(alert_webhook_url=url))
    finally:
        server.shutdown()
        server.server_close()
    (alert,) = _Webhook.received
    assert [c["name"] for c in alert["connectors"]] == ["pg-source", "s3-archive", "es-sink", "http-source", "legacy-sink"]
    assert alert["connectors"][2]["tasks"] == ["RUNNING", "FAILED"]
    assert alert["text"].startswith("5 Kafka connector(s) with tasks not all RUNNING: pg-source, ")


def test_recipe_templates_render_a_report_and_metrics(ansible, recipes):
    ansible(str(recipes / "templates.yml"))
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
    # Its assert tasks compare the module's and the lookup's answers; the fixture checks the play passed.
    ansible(str(recipes / "module_vs_lookup.yml"), *mode)


def test_recipe_restart_every_failed_connector_and_wait(ansible, recipes, emulator):
    output = ansible(str(recipes / "restart_failed.yml"))
    assert '"msg": "Restarted and running: pg-source"' in output
    assert _changes(emulator) == [("POST", "/v2/kafka/connector/cHJvZC1ldmVudHMvcGctc291cmNl/restart")]
    # nothing is failed any more, so a second run restarts nothing
    output = ansible(str(recipes / "restart_failed.yml"))
    assert '"msg": "Restarted and running: none"' in output and len(_changes(emulator)) == 1


def test_recipe_rename_a_connector(ansible, recipes, emulator, it):
    def connectors():
        request = urllib.request.Request("%s/v2/kafka/connectors/%s" % (emulator.url, PROD), headers={
            "Authorization": "Basic " + base64.b64encode(("%s:%s" % (it.email, it.api_key)).encode()).decode()})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return dict((connector["name"], connector) for connector in json.load(answer))

    before = connectors()
    ansible(str(recipes / "rename.yml"))
    after = connectors()
    assert "mongo-sink" not in after and after["mongo-orders-sink"]["state"] == "running"
    assert after["mongo-orders-sink"]["properties"] == before["mongo-sink"]["properties"]
    assert _changes(emulator) == [("POST", "/v2/kafka/connector"), ("DELETE", "/v2/kafka/connector/" + before["mongo-sink"]["connector_id"])]
    # the old name is gone, so a second run changes nothing
    ansible(str(recipes / "rename.yml"))
    assert len(_changes(emulator)) == 2 and sorted(connectors()) == sorted(after)


def test_recipe_ci_script_with_the_bundled_emulator(collections_path, recipes, tmp_path):
    environment = _environment(ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
                               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_LOCALHOST_WARNING="false",
                               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    output = _bash("bash ci.sh", recipes, environment, timeout=300)
    assert re.search(r"1 of \d+ connectors failed: pg-source in cluster", output), output[-6000:]
    assert output.rstrip().endswith("The compliance playbooks behave as expected.")


def test_every_recipe_has_a_test():
    tested = {
        "quickstart.yml", "credentials/credentials.yml", "credentials/group_vars/all/upstash.yml", "compliance_no_failed.yml",
        "compliance_state_table.yml", "templates/connector_states.md.j2", "compliance_tasks_not_running.yml", "templates.yml",
        "templates/connectors_report.md.j2", "templates/upstash_kafka_connectors.prom.j2", "module_vs_lookup.yml", "ci.sh",
        "restart_failed.yml", "rename.yml",
        # Run by test_awx.py and test_execution_environment.py.
        "platform/credential_type.yml", "platform/execution-environment.yml", "platform/internal_ca.yml"}
    assert set(recipe_files()) == tested


# --- the README ------------------------------------------------------------------------------------

_FENCE = re.compile(r"^```(?P<language>[\w+-]*)\n(?P<body>.*?)^```$", re.M | re.S)
SHELL_LANGUAGES = ("sh", "bash", "shell", "console")
# The URL the README shows the emulator printing; the tests put the one it really printed instead.
EXAMPLE_URL = "http://127.0.0.1:40731"
GALAXY_INSTALL = "ansible-galaxy collection install upstash.cloud"
PIP_INSTALL = "python3 -m pip install -r requirements.txt"
START_EMULATOR = "python3 emulator/upstash_emulator.py"


def readme_blocks(*languages):
    return [match.group("body") for match in _FENCE.finditer(_read("README.md")) if match.group("language") in languages]


def commands(block):
    """The commands of a shell block, without comments."""
    return [line.split(" #")[0].strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


# The kinds of shell block the user-path test runs or checks, and how each is told by its commands; the first that fits.
README_KINDS = [
    ("make targets", lambda lines, block: bool(lines) and all(line.startswith("make ") for line in lines)),
    ("install from Galaxy", lambda lines, block: lines == [GALAXY_INSTALL]),
    ("install from the checkout", lambda lines, block: bool(lines) and lines[0].startswith("ansible-galaxy collection build")),
    ("requests", lambda lines, block: lines == [PIP_INSTALL]),
    ("start the emulator", lambda lines, block: lines == [START_EMULATOR]),
    ("a playbook against the emulator", lambda lines, block: EXAMPLE_URL in block and lines[-1].startswith("ansible-playbook ")),
]


def readme_block_kind(block):
    """The kind of a shell block of the README; None: no test runs or checks it."""
    return next((kind for kind, fits in README_KINDS if fits(commands(block), block)), None)


def test_every_shell_block_of_the_readme_is_run_or_checked_and_its_make_commands_are_targets():
    blocks = readme_blocks(*SHELL_LANGUAGES)
    unknown = [block for block in blocks if readme_block_kind(block) is None]
    assert unknown == [], "README shell blocks no test runs or checks: %r" % unknown
    assert sorted(set(readme_block_kind(block) for block in blocks)) == sorted(kind for kind, _fits in README_KINDS)
    targets = set(re.findall(r"^([\w-]+):", _read("Makefile"), re.M))
    named = [line.split()[1] for block in blocks if readme_block_kind(block) == "make targets" for line in commands(block)]
    assert "demo" in named and "test" in named and sorted(set(named) - targets) == []


def test_the_readmes_user_path_runs_as_written(tmp_path):
    """Install from Galaxy (its name checked), from the checkout (run), requests (pip's dry run), the emulator from
    the checkout (run) and the quick-start playbook against it (run), in a checkout copy with an empty HOME."""
    checkout, home = tmp_path / "checkout", tmp_path / "home"
    shutil.copytree(ROOT, str(checkout), ignore=shutil.ignore_patterns(
        ".git", ".venv*", ".ansible", ".cache", "__pycache__", "*.pyc", ".pytest_cache", ".hypothesis", "output",
        "*.tar.gz", "build", "dist", "tests", "benchmarks"))
    home.mkdir()
    environment = _environment(HOME=str(home))
    galaxy = yaml.safe_load(_read("galaxy.yml"))
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
                assert '"msg": "pg-source: failed"' in output and "emulator-demo-key" not in output
    finally:
        if emulator is not None:
            os.killpg(emulator.pid, 15)
            emulator.wait(timeout=10)


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
    assert "changed: [localhost] => (item=pg-source)" in output and '"msg": "pg-source: running"' in output
    assert (tmp_path / "rendered.txt").read_text().strip() == "mongo-sink is running"
    assert _changes(emulator) == [("POST", "/v2/kafka/connector/cHJvZC1ldmVudHMvcGctc291cmNl/restart")]


def test_the_readme_lists_every_environment_variable_the_plugins_read():
    read = set(name for path in glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True)
               for name in re.findall(r"\bUPSTASH_[A-Z_]+\b", _read(path)))
    listed = set(re.findall(r"^\| `(UPSTASH_[A-Z_]+)` \|", _read("README.md"), re.M))
    assert {"UPSTASH_EMAIL", "UPSTASH_API_KEY", "UPSTASH_API_URL", "UPSTASH_VALIDATE_CERTS", "UPSTASH_CA_PATH",
            "UPSTASH_MAX_RESPONSE_MB"} <= read
    assert listed == read
