# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The lookup: terms and options as Ansible hands them over (keywords, variables, environment, ansible.cfg), its memory and its errors."""

from __future__ import annotations

import base64

import pytest
from ansible import constants as C
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

from ansible_collections.upstash.cloud.plugins.lookup import upstash_kafka_connectors
from ansible_collections.upstash.cloud.plugins.plugin_utils import _memo

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 templates every string
    def trust_as_template(value):
        return value

API = "http://127.0.0.1:9"
KEY = "Lk5d-0a7e-Gh2w-8c1f"
CONNECTORS = {
    "c1": [{"connector_id": "a", "name": "mongo-sink", "state": "running", "properties": {"jaas": "x", "u": "s://n:p@h"}}],
    "c2": [{"connector_id": "b", "name": "pg-source", "state": "failed"}, {"connector_id": "c", "name": "mongo-sink", "state": "paused"}],
}
CREDENTIALS = dict(email="ops@example.com", api_key=KEY, api_url=API)
BOOLEAN = "it must be a boolean (true/false, yes/no, on/off or 1/0)."


@pytest.fixture(autouse=True)
def empty_memo():
    _memo.forget_all()
    yield
    _memo.forget_all()


@pytest.fixture
def lookup():
    loader = DataLoader()
    templar = Templar(loader=loader, variables=dict(vaulted_key=KEY, api_base=API))
    return lookup_loader.get("upstash.cloud.upstash_kafka_connectors", loader=loader, templar=templar)


@pytest.fixture
def account(api):
    for cluster, connectors in CONNECTORS.items():
        api.get(API + "/v2/kafka/connectors/" + cluster, json=connectors)
    api.get(API + "/v2/kafka/connectors/gone", status=404, json={"error": "cluster not found"})
    api.get(API + "/v2/kafka/clusters", json=[{"cluster_id": "c1", "name": "prod"}, {"cluster_id": "c2", "name": "staging"}])
    api.get(API + "/v2/kafka/connector/b", json=CONNECTORS["c2"][0])
    return api


@pytest.fixture
def ansible_cfg(tmp_path, monkeypatch):
    """Writes the [upstash_cloud] section of the ansible.cfg Ansible reads; returns its path."""
    def write(section):
        path = tmp_path / "ansible.cfg"
        path.write_text("[upstash_cloud]\n" + section)
        monkeypatch.setattr(C.config, "_config_file", str(path))
        return str(path)

    return write


def ids(connectors):
    return [c["connector_id"] for c in connectors]


@pytest.mark.parametrize("terms, options, expected, paths", [
    (["c2", "c1"], {}, ["b", "c", "a"], ["connectors/c2", "connectors/c1"]),
    ([["c1", "c2"]], {}, ["a", "b", "c"], ["connectors/c1", "connectors/c2"]),
    (["c2"], dict(cluster_id="c1"), ["b", "c", "a"], ["connectors/c2", "connectors/c1"]),
    ([], dict(cluster_id="c2"), ["b", "c"], ["connectors/c2"]),
    ([], {}, ["a", "b", "c"], ["clusters", "connectors/c1", "connectors/c2"]),
    ([], dict(cluster_name="staging", name="mongo-sink"), ["c"], ["clusters", "connectors/c2"]),
    ([], dict(connector_id="b"), ["b"], ["connector/b"]),
    (["c1", "c2"], dict(states="Failed"), ["b"], ["connectors/c1", "connectors/c2"]),
])
def test_terms_then_cluster_id_in_order_and_the_query_options(lookup, account, terms, options, expected, paths):
    assert ids(lookup.run(terms, variables={}, **dict(CREDENTIALS, **options))) == expected
    assert sorted(call.request.path_url.split("/kafka/")[1] for call in account.calls) == sorted(paths)


@pytest.mark.parametrize("options, expected", [
    (dict(), [{"name": "mongo-sink", "properties": {"jaas": "********", "u": "s://n:********@h"}}]),
    (dict(redact="no"), [{"name": "mongo-sink", "properties": {"jaas": "x", "u": "s://n:p@h"}}]),
])
def test_projection_and_redaction_unless_turned_off(lookup, account, options, expected):
    assert lookup.run(["c1"], variables={}, fields=["name", "properties"], **dict(CREDENTIALS, **options)) == expected


def test_options_from_variables_are_templated(lookup, account):
    variables = dict(upstash_email="ops@example.com", upstash_api_key=trust_as_template("{{ vaulted_key }}"),
                     upstash_api_url=trust_as_template("{{ api_base }}"))
    assert ids(lookup.run(["c1"], variables=variables)) == ["a"]
    assert account.calls[0].request.headers["Authorization"] == "Basic " + base64.b64encode(("ops@example.com:" + KEY).encode()).decode()


def test_options_from_the_environment_and_ansible_cfg(lookup, account, monkeypatch, ansible_cfg):
    monkeypatch.setenv("UPSTASH_API_KEY", KEY)
    ansible_cfg("email = cfg@example.com\napi_url = %s\nredact = false\n" % API)
    assert lookup.run(["c1"], variables={})[0]["properties"]["jaas"] == "x"
    assert account.calls[0].request.headers["Authorization"] == "Basic " + base64.b64encode(("cfg@example.com:" + KEY).encode()).decode()


def test_missing_credentials_name_option_and_variable_before_any_request(lookup, account, monkeypatch):
    monkeypatch.delenv("UPSTASH_API_KEY", raising=False)
    with pytest.raises(AnsibleLookupError, match=r"^Missing credentials: set api_key \(or UPSTASH_API_KEY\)\.$"):
        lookup.run(["c1"], variables={}, email="ops@example.com", api_url=API)
    assert not account.calls


@pytest.mark.parametrize("terms, options, message", [
    (["c1", "bad/id"], {}, "Invalid cluster_id 'bad/id'"),
    ([7], {}, "Invalid cluster_id a value of type int"),
    (["c1", None], {}, "Invalid cluster_id a value of type null"),
    (["c1"], dict(cluster_name="prod"), "Give either cluster ids or cluster_name, not both."),
    ([], dict(cluster_id="c1", cluster_name="prod"), "Give either cluster ids or cluster_name, not both."),
])
def test_unusable_terms_fail_before_any_request(lookup, account, terms, options, message):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(terms, variables={}, **dict(CREDENTIALS, **options))
    assert str(caught.value).startswith(message) and not account.calls


def test_api_errors_are_lookup_errors(lookup, account):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1", "gone"], variables={}, **CREDENTIALS)
    assert str(caught.value).startswith("Listing the connectors of Kafka cluster 'gone' failed: Kafka cluster 'gone' was not found at 127.0.0.1:9")


def test_repeated_lookups_are_answered_from_memory_within_cache_ttl(lookup, account):
    for dummy in range(20):
        assert ids(lookup.run(["c1"], variables={}, **CREDENTIALS)) == ["a"]
    assert len(account.calls) == 1
    lookup.run(["c1"], variables={}, cache_ttl=0, **CREDENTIALS)
    lookup.run(["c1"], variables={}, **dict(CREDENTIALS, api_key="Ot4h-5d0a-Jx9m-21qe"))
    assert len(account.calls) == 3


@pytest.mark.parametrize("source, option, value, origin", [
    ("keyword", "redact", "ture", ""),
    ("keyword", "validate_certs", 2, ""),
    ("keyword", "validate_certs", "", ""),
    ("environment", "validate_certs", "enabled", " (from environment variable UPSTASH_VALIDATE_CERTS)"),
    ("ansible.cfg", "redact", "maybe", " (from [upstash_cloud] redact in %s)"),
])
def test_booleans_take_only_ansible_spellings_from_every_source(lookup, account, monkeypatch, ansible_cfg, source, option, value, origin):
    options = dict(CREDENTIALS)
    if source == "keyword":
        options[option] = value
    elif source == "environment":
        monkeypatch.setenv("UPSTASH_VALIDATE_CERTS", value)
    else:
        origin %= ansible_cfg("%s = %s\n" % (option, value))
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1"], {}, **options)
    assert str(caught.value) == "Invalid %s %r%s: %s" % (option, value, origin, BOOLEAN)
    assert not account.calls


def test_unknown_keywords_are_refused_naming_the_valid_ones(lookup, account):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1"], {}, api_ulr="http://127.0.0.1:1", **CREDENTIALS)
    message = str(caught.value)
    assert message.startswith("Unknown option 'api_ulr' for upstash.cloud.upstash_kafka_connectors; its options are ")
    assert "cluster_id" in message and "cache_ttl" in message and "_terms" not in message and not account.calls


def test_a_relative_ca_path_is_read_from_the_playbook_directory(lookup, account, tmp_path):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("not used: the API is plain HTTP")
    lookup._loader.set_basedir(str(tmp_path))  # pylint: disable=protected-access
    assert ids(lookup.run(["c1"], {}, ca_path="certs/ca.pem", **CREDENTIALS)) == ["a"]
    assert account.calls[0].request.req_kwargs["verify"] == str(tmp_path / "certs" / "ca.pem")


def test_an_unexpected_error_says_so_in_one_sentence(lookup, account, monkeypatch):
    def broken(*_args, **_kwargs):
        raise KeyError("state")

    monkeypatch.setattr(upstash_kafka_connectors, "query_connectors", broken)
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1"], {}, **CREDENTIALS)
    assert str(caught.value).startswith("Unexpected internal error in upstash.cloud (KeyError: 'state'); this is a bug")
