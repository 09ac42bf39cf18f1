# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import copy

import pytest

from ansible_collections.upstash.cloud.plugins.module_utils._connectors import (
    REDACTED,
    is_secret_key,
    mask_url_passwords,
    redact_cluster,
    redact_connector,
    select_connectors,
    shape_connectors,
)

CONNECTORS = [
    {
        "connector_id": "c-1",
        "name": "mongo-sink",
        "state": "running",
        "properties": {
            "connection.uri": "mongodb+srv://appuser:Mongo-Pa55w0rd@cluster0.example.net/orders?retryWrites=true",
            "database": "orders",
            "tasks.max": 1,
        },
        "tasks": [{"id": 0, "state": "RUNNING", "trace": ""}],
        "topics": ["orders"],
        "future_field": {"kept": True},
    },
    {
        "connector_id": "c-2",
        "name": "pg-source",
        "state": "failed",
        "user_password": "Pg-User-Pass",
        "properties": {"connection.password": "Pg-Secret-123", "connection.user": "shop"},
    },
    {"connector_id": "c-3", "name": "mongo-sink", "state": "paused", "properties": None, "tasks": None, "topics": None},
]


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "connection.PASSWORD",
        "db.passwd",
        "client_secret",
        "auth.token",
        "gcp.credentials.json",
        "ApiKey",
        "datadog.api.key",
        "x_api_key",
        "ssl.private.key",
        "aws.secret.access.key",
        "s3.access.key.id",
        "sasl.jaas.config",
        "db.pwd",
        "db.pass",
        "ssl.keystore.key",
        "storage.account.key",
        "encryption_key",
        "private_key",
        "privateKey",
        "ssl.keyfile",
        "Authorization",
        "ssl.key.passphrase",
        "user_password",
    ],
)
def test_secret_keys_are_recognised_in_any_case(key):
    assert is_secret_key(key)
    assert is_secret_key(key.upper())


@pytest.mark.parametrize("key", ["dbPwd", "clientSecret", "xApiKey", "storageAccountKey", "DB_PASS"])
def test_camel_case_and_upper_snake_case_words_are_recognised(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["connection.uri", "database", "topics", "tasks.max", "key.converter", "username",
                                 "kafka.auth.mode", "compass.heading", "passive", "bypass.cache", "key.ignore",
                                 "encoded_username", "state_error_message", "keystore.type"])
def test_ordinary_keys_are_not_secret(key):
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    "raw, masked",
    [
        (
            "mongodb+srv://appuser:Mongo-Pa55w0rd@cluster0.example.net/orders?retryWrites=true",
            "mongodb+srv://appuser:********@cluster0.example.net/orders?retryWrites=true",
        ),
        ("postgresql://u:p%40ss@db:5432/shop", "postgresql://u:********@db:5432/shop"),
        ("redis://:only-pass@cache.example.net:6379", "redis://:********@cache.example.net:6379"),
        ("amqp://guest:gu:e@st@mq.example.net/vhost#x", "amqp://guest:********@mq.example.net/vhost#x"),
        (
            "primary=mysql://a:one@h1/db, backup=mysql://b:two@h2/db",
            "primary=mysql://a:********@h1/db, backup=mysql://b:********@h2/db",
        ),
    ],
)
def test_url_passwords_are_masked_and_the_rest_kept(raw, masked):
    assert mask_url_passwords(raw) == masked


@pytest.mark.parametrize(
    "text",
    [
        "https://example.net:8443/path?q=1",
        "mongodb://user@host/db",
        "jdbc:postgresql://db.example.net:5432/shop",
        "plain text: with colons @ and at signs",
        "",
    ],
)
def test_text_without_url_passwords_is_untouched(text):
    assert mask_url_passwords(text) == text


def test_redact_connector_masks_secrets_and_keeps_every_key():
    original = copy.deepcopy(CONNECTORS)
    redacted = [redact_connector(connector) for connector in CONNECTORS]

    assert CONNECTORS == original, "redaction must not modify its input"
    for before, after in zip(CONNECTORS, redacted):
        assert list(after) == list(before)
        if isinstance(before.get("properties"), dict):
            assert list(after["properties"]) == list(before["properties"])
    assert redacted[0]["properties"]["connection.uri"] == (
        "mongodb+srv://appuser:********@cluster0.example.net/orders?retryWrites=true"
    )
    assert redacted[0]["properties"]["database"] == "orders"
    assert redacted[0]["properties"]["tasks.max"] == 1
    assert redacted[0]["future_field"] == {"kept": True}
    assert redacted[1]["properties"]["connection.password"] == REDACTED
    assert redacted[1]["properties"]["connection.user"] == "shop"
    assert redacted[1]["user_password"] == REDACTED


def test_redact_connector_tolerates_null_collections():
    redacted = redact_connector(CONNECTORS[2])
    assert redacted == CONNECTORS[2]


def test_redact_connector_handles_nested_and_non_string_values():
    connector = {
        "properties": {
            "ssl": {"truststore.password": "trust-me", "enabled": True},
            "hosts": ["kafka://u:pw@h1:9092", 7, None],
            "api_key": 12345,
            "secret.list": ["a", "b"],
            "empty.password": None,
        }
    }
    properties = redact_connector(connector)["properties"]
    assert properties["ssl"] == {"truststore.password": REDACTED, "enabled": True}
    assert properties["hosts"] == ["kafka://u:********@h1:9092", 7, None]
    assert properties["api_key"] == REDACTED
    assert properties["secret.list"] == REDACTED
    assert properties["empty.password"] is None


def test_redact_cluster_masks_password_only():
    cluster = {"cluster_id": "k", "username": "user", "password": "Cluster-Pass", "max_partitions": 100}
    redacted = redact_cluster(cluster)
    assert redacted == {"cluster_id": "k", "username": "user", "password": REDACTED, "max_partitions": 100}
    assert cluster["password"] == "Cluster-Pass"


def test_select_by_name_keeps_api_order():
    assert [c["connector_id"] for c in select_connectors(CONNECTORS, name="mongo-sink")] == ["c-1", "c-3"]


def test_select_by_id_and_both_filters():
    assert [c["connector_id"] for c in select_connectors(CONNECTORS, connector_id="c-2")] == ["c-2"]
    assert select_connectors(CONNECTORS, name="mongo-sink", connector_id="c-2") == []
    assert select_connectors(CONNECTORS, name="nothing-like-it") == []
    assert select_connectors(CONNECTORS) == CONNECTORS


def test_shape_connectors_redacts_unless_told_not_to():
    shaped = shape_connectors(CONNECTORS, connector_id="c-2")
    assert shaped[0]["properties"]["connection.password"] == REDACTED
    raw = shape_connectors(CONNECTORS, connector_id="c-2", redact=False)
    assert raw[0]["properties"]["connection.password"] == "Pg-Secret-123"
    assert raw[0]["user_password"] == "Pg-User-Pass"


def test_long_texts_are_scanned_in_linear_time():
    # Quadratic scanning would take minutes on this input; linear takes milliseconds.
    text = "a" * 300000 + "://user:pw@host/x"
    assert mask_url_passwords(text).endswith("://user:********@host/x")


def test_properties_sent_as_a_list_are_still_redacted():
    connector = {"properties": [{"db.password": "pw"}, "redis://app:pw@cache/0", 5]}
    assert redact_connector(connector)["properties"] == [{"db.password": REDACTED}, "redis://app:********@cache/0", 5]


def test_projection_returns_copies_and_redacts_what_it_keeps():
    shaped = shape_connectors(CONNECTORS, fields=["name", "state"])
    assert shaped == [{"name": c["name"], "state": c["state"]} for c in CONNECTORS]
    assert all(a is not b for a, b in zip(shaped, CONNECTORS))
    with_secrets = shape_connectors(CONNECTORS, fields=["user_password", "properties"])
    assert with_secrets[1] == {"user_password": REDACTED, "properties": {"connection.password": REDACTED, "connection.user": "shop"}}
