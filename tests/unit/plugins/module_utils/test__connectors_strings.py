# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Secrets inside strings, wherever they sit in a connector or a cluster: each documented kind of secret,
in properties, state_error_message, tasks[].trace, nested values and unknown fields."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.upstash.cloud.plugins.module_utils._connectors import (
    REDACTED,
    mask_text,
    redact_cluster,
    redact_connector,
    secret_strings,
    shape_connectors,
)

PEM_BODY = "\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nPem+Body/Secret==\n"

# kind: (text holding a secret, the secret, the text as redaction must return it)
KINDS = {
    "url password": (
        "mongodb+srv://appuser:Url-Secret-1@cluster0.example.net/orders?retryWrites=true",
        "Url-Secret-1",
        "mongodb+srv://appuser:********@cluster0.example.net/orders?retryWrites=true",
    ),
    "url password with raw / and #": (
        "postgresql://shop:Ur/l#Sec@ret-2@db.example.net:5432/shop",
        "Ur/l#Sec@ret-2",
        "postgresql://shop:********@db.example.net:5432/shop",
    ),
    "query string parameter": (
        "jdbc:postgresql://db.example.net:5432/shop?user=shop&password=Query-Secret-3&ssl=true",
        "Query-Secret-3",
        "jdbc:postgresql://db.example.net:5432/shop?user=shop&password=********&ssl=true",
    ),
    "connection string parameter": (
        "jdbc:sqlserver://db.example.net:1433;databaseName=shop;user=sa;Password=Semi-Secret-4;encrypt=true",
        "Semi-Secret-4",
        "jdbc:sqlserver://db.example.net:1433;databaseName=shop;user=sa;Password=********;encrypt=true",
    ),
    "authorization header, bearer": (
        "Authorization: Bearer Hdr-Token-5",
        "Hdr-Token-5",
        "Authorization: Bearer ********",
    ),
    "authorization header, basic": (
        "request headers {Authorization=Basic YXBwOkhkci1TZWNyZXQtNg==, Accept=application/json}",
        "YXBwOkhkci1TZWNyZXQtNg==",
        "request headers {Authorization=Basic ********, Accept=application/json}",
    ),
    "bearer credential without a header name": (
        "calling https://api.example.net/v1 with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.Sig-7 failed",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.Sig-7",
        "calling https://api.example.net/v1 with Bearer ******** failed",
    ),
    "pem private key": (
        "ssl.keystore.key=-----BEGIN PRIVATE KEY-----%s-----END PRIVATE KEY-----" % PEM_BODY,
        "Pem+Body/Secret==",
        "ssl.keystore.key=-----BEGIN PRIVATE KEY-----********-----END PRIVATE KEY-----",
    ),
    "service-account key file": (
        json.dumps({"type": "service_account", "project_id": "shop", "private_key_id": "Json-Key-Id-8",
                    "private_key": "-----BEGIN PRIVATE KEY-----\nJson+Pem/9\n-----END PRIVATE KEY-----\n",
                    "client_email": "sink@shop.iam.example.net"}),
        "Json+Pem/9",
        json.dumps({"type": "service_account", "project_id": "shop", "private_key_id": REDACTED, "private_key": REDACTED,
                    "client_email": "sink@shop.iam.example.net"}),
    ),
    "jaas configuration": (
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="Jaas-Secret-10";',
        "Jaas-Secret-10",
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="********";',
    ),
    "oracle connect descriptor, quoted password": (
        'jdbc:oracle:thin:shop/"Ora Quoted-15"@db.example.net:1521:ORCL',
        "Ora Quoted-15",
        'jdbc:oracle:thin:shop/"********"@db.example.net:1521:ORCL',
    ),
    "query string password holding an encoded & and ;": (
        "jdbc:mysql://db.example.net/shop?user=app&password=Pa%26ss%3B-16&useSSL=true",
        "Pa%26ss%3B-16",
        "jdbc:mysql://db.example.net/shop?user=app&password=********&useSSL=true",
    ),
    "oracle connect descriptor": (
        "jdbc:oracle:thin:shop/Ora-Secret-12@//db.example.net:1521/ORCL",
        "Ora-Secret-12",
        "jdbc:oracle:thin:shop/********@//db.example.net:1521/ORCL",
    ),
    "key and value joined by a colon": (
        "login failed for user shop, password:Colon-Secret-13 was refused",
        "Colon-Secret-13",
        "login failed for user shop, password:******** was refused",
    ),
    "url-encoded query string": (
        "GET /connect?config=user%3Dshop%26password%3DEnc-Secret-14%26ssl%3Dtrue HTTP/1.1",
        "Enc-Secret-14",
        "GET /connect?config=user%3Dshop%26password%3D********%26ssl%3Dtrue HTTP/1.1",
    ),
    "java map of a configuration": (
        "Invalid configuration {connection.user=shop, connection.password=Map-Secret-11, mode=bulk}",
        "Map-Secret-11",
        "Invalid configuration {connection.user=shop, connection.password=********, mode=bulk}",
    ),
}


def place(where, text):
    """A connector holding text at one place."""
    connector = {"connector_id": "c-1", "name": "sink", "state": "failed", "state_error_message": "",
                 "tasks": [{"id": 0, "state": "FAILED", "trace": ""}], "properties": {"topics": "orders"}}
    if where == "properties":
        connector["properties"]["connection.url"] = text
    elif where == "state_error_message":
        connector["state_error_message"] = text
    elif where == "trace":
        connector["tasks"][0]["trace"] = "org.apache.kafka.connect.errors.ConnectException: %s\n\tat x.y(Z.java:1)" % text
    elif where == "nested":
        connector["properties"]["transforms"] = {"route": [{"endpoints": ["ok", text]}]}
    else:
        connector["future_field"] = {"detail": text}
    return connector


PLACES = ("properties", "state_error_message", "trace", "nested", "unknown field")


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_is_masked_and_the_rest_of_the_text_kept(kind):
    text, secret, masked = KINDS[kind]
    assert mask_text(text) == masked
    assert secret not in masked


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_is_masked_wherever_it_sits(kind, where):
    text, secret, masked = KINDS[kind]
    connector = place(where, text)
    original = copy.deepcopy(connector)
    redacted = redact_connector(connector)
    assert connector == original
    assert secret in json.dumps(connector)
    assert secret not in json.dumps(redacted)
    # Nothing else changed: the redacted connector is the connector with masked in place of text.
    assert redacted == place(where, masked)


@pytest.mark.parametrize("kind", list(KINDS))
def test_secret_strings_names_what_was_masked_as_it_appears(kind):
    text, secret, dummy = KINDS[kind]
    connector = place("properties", text)
    found = secret_strings(connector)
    assert any(secret in value for value in found), found
    serialized = json.dumps(connector)
    for value in found:
        assert value in text and value in json.loads(serialized)["properties"]["connection.url"]


def test_secret_strings_of_secret_keys_holds_whole_values_and_nested_scalars():
    properties = {"connection.password": "Whole-Value-1", "api_key": 12345, "secret.list": ["List-Secret-2", 7.5, True],
                  "ssl": {"truststore.password": "Nested-3", "enabled": True}, "empty.password": "", "none.token": None,
                  "connection.uri": "redis://app:Url-4@cache:6379/0", "key.converter": "org.Converter"}
    assert secret_strings(properties) == {"Whole-Value-1", "12345", "List-Secret-2", "7.5", "Nested-3", "Url-4"}
    assert secret_strings({"properties": {"database": "orders"}, "name": "sink"}) == set()


def test_a_masked_value_is_not_a_secret_string():
    assert secret_strings({"password": REDACTED, "uri": "s3://u:%s@bucket/x" % REDACTED}) == set()


@pytest.mark.parametrize("key, value", [
    ("db.pwd", "short-pwd"), ("db.pass", "short-pass"), ("ssl.keystore.key", "keystore"), ("azure.account.key", "acct"),
    ("encryption.key", "enc"), ("private_key", "pk"), ("ssl.keyfile", "/etc/key.pem"), ("Authorization", "Token abc"),
    ("privateKey", "camel"), ("x-api-key", "header"),
])
def test_values_under_secret_keys_are_masked(key, value):
    assert redact_connector({"properties": {key: value}})["properties"] == {key: REDACTED}


@pytest.mark.parametrize("key, value", [
    ("kafka.auth.mode", "sasl_plain"), ("key.converter", "org.apache.kafka.connect.storage.StringConverter"),
    ("compass.bearing", "north"), ("passive.mode", "true"), ("bypass.proxy", "yes"), ("keystore.type", "PKCS12"),
])
def test_ordinary_keys_keep_their_values(key, value):
    assert redact_connector({"properties": {key: value}})["properties"] == {key: value}


@pytest.mark.parametrize("text", [
    "FATAL: password authentication failed for user \"shop\"",
    "Basic authentication is disabled; set kafka.auth.mode",
    "https://example.net:8443/v1/users?email=ops@example.net",
    "http://docs.example.net:80/images/logo@2x.png",
    "at org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:646)",
    "token_count=12 is not a secret key? it is: keys holding token are masked",
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
    "compass=north; passive=true; key.converter=org.X",
    "Connect to secretsmanager.us-east-1.amazonaws.com:443 failed",
    "at com.amazonaws.auth.AWSCredentialsProviderChain.getCredentials(AWSCredentialsProviderChain.java:136)",
    "at org.apache.kafka.common.security.JaasContext.loadClientContext(JaasContext.java:85)",
    "http://vault-token-service:8200/v1/auth",
    "${file:/opt/kafka/secrets.properties:url}",
])
def test_texts_without_secrets_are_kept(text):
    expected = text.replace("token_count=12", "token_count=" + REDACTED)
    assert mask_text(text) == expected


def test_top_level_user_password_and_cluster_password():
    connector = {"connector_id": "c", "user_password": "Top-User-Pass", "encoded_username": "dXNlcg", "TTL": 0}
    assert redact_connector(connector) == dict(connector, user_password=REDACTED)
    cluster = {"cluster_id": "k", "username": "dXNlcg", "password": "Cluster-Pass", "rest_endpoint": "https://r.example.net"}
    assert redact_cluster(cluster) == dict(cluster, password=REDACTED)


def test_redact_false_returns_the_data_untouched():
    connectors = [place(where, KINDS["url password"][0]) for where in PLACES]
    assert shape_connectors(connectors, redact=False) == connectors


def test_masking_twice_changes_nothing():
    for text, dummy, masked in KINDS.values():
        assert mask_text(masked) == masked


# Inputs built to make a backtracking pattern scan the same text again and again: each is a
# repeated near miss of one pattern. They must come back whole (no secret to mask) or masked
# correctly; a quadratic pattern would not finish in a test run's lifetime.
NEAR_MISSES = {
    "url starts": "a://u:",
    "url with @ but no host": "a://u:p@@",
    "secret keys without values": "password=",
    "unclosed quotes": 'password="',
    "json members": '"private_key": ',
    "pem blocks without end": "-----BEGIN PRIVATE KEY-----x",
    "pem labels": "-----BEGIN PRIVATE KEYPRIVATE KEY",
    "schemes without credentials": "Bearer ",
    "key-like runs": "token.token.token.token.token",
    "oracle descriptors without a host": "jdbc:oracle:thin:u/",
    "encoded secret keys without values": "%26password%3D",
    "glued secret keys": "secret:a:",
}


@pytest.mark.parametrize("name", list(NEAR_MISSES))
def test_hostile_repetitions_are_scanned_once(name):
    text = NEAR_MISSES[name] * (200000 // len(NEAR_MISSES[name]))
    masked = mask_text(text + "\n-----END PRIVATE KEY-----\nuri https://u:Tail-Secret@h/x")
    assert masked.endswith("-----END PRIVATE KEY-----\nuri https://u:********@h/x")
