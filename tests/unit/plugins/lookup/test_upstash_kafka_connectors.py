# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64

import pytest
import responses
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

from ansible_collections.upstash.cloud.plugins.module_utils import _memo

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 templates every string
    def trust_as_template(value):
        return value

API = "http://127.0.0.1:9"
KEY = "lookup-unit-key-5d0a"
CONNECTORS = {
    "c1": [{"connector_id": "a", "name": "mongo-sink", "state": "running", "properties": {"jaas": "x", "u": "s://n:p@h"}}],
    "c2": [{"connector_id": "b", "name": "pg-source", "state": "failed"},
           {"connector_id": "c", "name": "mongo-sink", "state": "paused"}],
}
CREDENTIALS = dict(email="ops@example.com", api_key=KEY, api_url=API)


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
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for cluster, connectors in CONNECTORS.items():
            mock.get(API + "/v2/kafka/connectors/" + cluster, json=connectors)
        mock.get(API + "/v2/kafka/connectors/gone", status=404, json={"error": "cluster not found"})
        mock.get(API + "/v2/kafka/clusters", json=[{"cluster_id": "c1", "name": "prod"}, {"cluster_id": "c2", "name": "staging"}])
        mock.get(API + "/v2/kafka/connector/b", json=CONNECTORS["c2"][0])
        yield mock


def ids(connectors):
    return [c["connector_id"] for c in connectors]


def test_terms_are_flattened_in_order(lookup, api):
    assert ids(lookup.run(["c2", "c1"], variables={}, **CREDENTIALS)) == ["b", "c", "a"]
    assert ids(lookup.run([["c1", "c2"]], variables={}, **CREDENTIALS)) == ["a", "b", "c"]


def test_redaction_on_by_default_and_off_on_request(lookup, api):
    assert lookup.run(["c1"], variables={}, **CREDENTIALS)[0]["properties"] == {"jaas": "********", "u": "s://n:********@h"}
    assert lookup.run(["c1"], variables={}, redact=False, **CREDENTIALS)[0]["properties"] == {"jaas": "x", "u": "s://n:p@h"}


def test_filters(lookup, api):
    assert ids(lookup.run(["c1", "c2"], variables={}, name="mongo-sink", **CREDENTIALS)) == ["a", "c"]
    assert ids(lookup.run(["c1", "c2"], variables={}, connector_id="b", **CREDENTIALS)) == ["b"]
    assert lookup.run(["c1"], variables={}, name="none", **CREDENTIALS) == []
    assert ids(lookup.run(["c1", "c2"], variables={}, states=["Failed", "PAUSED"], **CREDENTIALS)) == ["b", "c"]
    assert ids(lookup.run([], variables={}, states=["running"], name="mongo-sink", **CREDENTIALS)) == ["a"]
    assert lookup.run(["c2"], variables={}, states="failed", fields=["name"], **CREDENTIALS) == [{"name": "pg-source"}]


def test_options_from_variables_are_templated(lookup, api):
    variables = dict(
        upstash_email="ops@example.com",
        upstash_api_key=trust_as_template("{{ vaulted_key }}"),
        upstash_api_url=trust_as_template("{{ api_base }}"),
    )
    assert ids(lookup.run(["c1"], variables=variables)) == ["a"]
    assert api.calls[0].request.headers["Authorization"] == "Basic " + base64.b64encode(
        ("ops@example.com:" + KEY).encode()).decode()


def test_options_from_environment(lookup, api, monkeypatch):
    monkeypatch.setenv("UPSTASH_EMAIL", "ops@example.com")
    monkeypatch.setenv("UPSTASH_API_KEY", KEY)
    monkeypatch.setenv("UPSTASH_API_URL", API)
    assert ids(lookup.run(["c1"], variables={})) == ["a"]


def test_missing_key_names_option_and_variable(lookup, api, monkeypatch):
    monkeypatch.delenv("UPSTASH_API_KEY", raising=False)
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1"], variables={}, email="ops@example.com", api_url=API)
    assert "api_key" in str(caught.value) and "UPSTASH_API_KEY" in str(caught.value)
    assert len(api.calls) == 0


@pytest.mark.parametrize("terms", [["c1", "bad/id"], [7], ["c1", None], ["c1", ".."]])
def test_bad_terms_fail_before_any_request(lookup, api, terms):
    with pytest.raises(AnsibleLookupError):
        lookup.run(terms, variables={}, **CREDENTIALS)
    assert len(api.calls) == 0


def test_api_errors_raise_lookup_error_without_the_key(lookup, api):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1", "gone"], variables={}, **CREDENTIALS)
    assert "'gone'" in str(caught.value) and "not found" in str(caught.value)
    assert KEY not in str(caught.value)


def test_no_terms_means_every_cluster_of_the_account(lookup, api):
    assert ids(lookup.run([], variables={}, **CREDENTIALS)) == ["a", "b", "c"]


def test_cluster_name_and_direct_connector_id(lookup, api):
    assert ids(lookup.run([], variables={}, cluster_name="staging", **CREDENTIALS)) == ["b", "c"]
    assert ids(lookup.run([], variables={}, connector_id="b", **CREDENTIALS)) == ["b"]
    assert [call.request.url.rsplit("/", 1)[1] for call in api.calls] == ["clusters", "c2", "b"]


def test_cluster_name_with_terms_is_refused(lookup, api):
    with pytest.raises(AnsibleLookupError, match="not both"):
        lookup.run(["c1"], variables={}, cluster_name="prod", **CREDENTIALS)
    assert len(api.calls) == 0


def test_fields_projection_keeps_redaction(lookup, api):
    assert lookup.run(["c1"], variables={}, fields=["name", "properties"], **CREDENTIALS) == [
        {"name": "mongo-sink", "properties": {"jaas": "********", "u": "s://n:********@h"}}
    ]


def test_repeated_lookups_are_answered_from_memory_within_cache_ttl(lookup, api):
    for dummy in range(20):
        assert ids(lookup.run(["c1"], variables={}, **CREDENTIALS)) == ["a"]
    assert len(api.calls) == 1
    lookup.run(["c1"], variables={}, cache_ttl=0, **CREDENTIALS)
    assert len(api.calls) == 2
    lookup.run(["c1"], variables={}, **dict(CREDENTIALS, api_key="another-key"))
    assert len(api.calls) == 3


@pytest.mark.parametrize("option, value", [("redact", "ture"), ("validate_certs", "maybe"), ("redact", 2), ("validate_certs", "")])
def test_booleans_take_only_ansible_spellings(lookup, api, option, value):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1"], {}, **dict(CREDENTIALS, **{option: value}))
    assert str(caught.value) == "Invalid %s %r: it must be a boolean (true/false, yes/no, on/off or 1/0)." % (option, value)
    assert len(api.calls) == 0


def test_a_boolean_from_the_environment_is_as_strict(lookup, api, monkeypatch):
    monkeypatch.setenv("UPSTASH_VALIDATE_CERTS", "enabled")
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1"], {}, **CREDENTIALS)
    assert str(caught.value) == ("Invalid validate_certs 'enabled' (from environment variable UPSTASH_VALIDATE_CERTS): "
                                 "it must be a boolean (true/false, yes/no, on/off or 1/0).")


@pytest.mark.parametrize("value, redacted", [("no", False), ("off", False), ("0", False), (True, True), ("yes", True)])
def test_every_ansible_boolean_spelling_works(lookup, api, value, redacted):
    connector = lookup.run(["c1"], {}, redact=value, **CREDENTIALS)[0]
    assert (connector["properties"]["jaas"] == "********") is redacted


def test_unknown_keywords_are_refused_naming_the_valid_ones(lookup, api):
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1"], {}, api_ulr="http://127.0.0.1:1", **CREDENTIALS)
    message = str(caught.value)
    assert message.startswith("Unknown option 'api_ulr' for upstash.cloud.upstash_kafka_connectors; its options are ")
    assert "api_url" in message and "cache_ttl" in message and "max_response_mb" in message and "_terms" not in message
    assert len(api.calls) == 0


def test_a_relative_ca_path_is_read_from_the_playbook_directory(lookup, api, tmp_path):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("not used: the API is plain HTTP")
    lookup._loader.set_basedir(str(tmp_path))  # pylint: disable=protected-access
    assert ids(lookup.run(["c1"], {}, ca_path="certs/ca.pem", **CREDENTIALS)) == ["a"]
    assert api.calls[0].request.req_kwargs["verify"] == str(tmp_path / "certs" / "ca.pem")


def test_an_unexpected_error_says_so_in_one_sentence(lookup, api, monkeypatch):
    from ansible_collections.upstash.cloud.plugins.lookup import upstash_kafka_connectors

    def broken(*_args, **_kwargs):
        raise KeyError("state of %s" % KEY)

    monkeypatch.setattr(upstash_kafka_connectors, "query_connectors", broken)
    with pytest.raises(AnsibleLookupError) as caught:
        lookup.run(["c1"], {}, **CREDENTIALS)
    message = str(caught.value)
    assert message.startswith("Unexpected internal error in upstash.cloud (KeyError: ")
    assert KEY not in message and "\n" not in message
