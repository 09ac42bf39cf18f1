# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Redaction of connector and cluster data, and the account's credential found in any disguise."""

from __future__ import annotations

import base64
import copy
import html
import json
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.upstash.cloud.plugins.module_utils._secrets import (
    MASK,
    CredentialForms,
    is_secret_key,
    mask_text,
    redact,
    secret_strings,
)

EXAMPLES = settings(max_examples=60, deadline=None, derandomize=True, database=None)
EMAIL = "ops@example.com"
KEY = "unit-test-api-key-4b7e1c"
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nPem+Body/Secret==\n-----END PRIVATE KEY-----"


# --- keys that name a secret ------------------------------------------------------------------------

@pytest.mark.parametrize("key", [
    "password", "connection.PASSWORD", "db.passwd", "db.pwd", "DB_PASS", "dbPwd", "client_secret", "clientSecret", "auth.token",
    "gcp.credentials.json", "ApiKey", "datadog.api.key", "x-api-key", "xApiKey", "ssl.private.key", "private_key", "privateKey",
    "ssl.keyfile", "ssl.keystore.key", "s3.access.key.id", "storage.account.key", "storageAccountKey", "encryption_key",
    "sasl.jaas.config", "Authorization", "ssl.key.passphrase", "user_password",
    # Kafka's password-type configs, under any prefix
    "basic.auth.user.info", "value.converter.basic.auth.user.info", "key.converter.schema.registry.basic.auth.user.info",
    "BASIC_AUTH_USER_INFO", "basicAuthUserInfo", "s3.sse.customer.key", "S3_SSE_CUSTOMER_KEY",
])
def test_keys_naming_a_secret(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", [
    "kafka.auth.mode", "key.converter", "value.converter", "keystore.type", "key.ignore", "connection.uri", "database", "topics",
    "tasks.max", "username", "encoded_username", "state_error_message", "compass.heading", "passive", "bypass.cache",
    "s3.sse.customer.algorithm", "customer.id", "connector.info", "user.name",
])
def test_ordinary_keys(key):
    assert not is_secret_key(key)


# --- secrets inside strings -------------------------------------------------------------------------

# text holding a secret -> the text as redaction returns it (the secret is always "S3cr3t..." or a PEM/base64 body)
MASKED = {
    "mongodb+srv://appuser:S3cr3t-1@cluster0.example.net/orders?retryWrites=true":
        "mongodb+srv://appuser:********@cluster0.example.net/orders?retryWrites=true",
    "postgresql://shop:S3/c#r@3t-2@db.example.net:5432/shop": "postgresql://shop:********@db.example.net:5432/shop",
    "redis://:S3cr3t-3@cache.example.net:6379": "redis://:********@cache.example.net:6379",
    "jdbc:postgresql://db:5432/shop?user=shop&password=S3cr3t-4&ssl=true": "jdbc:postgresql://db:5432/shop?user=shop&password=********&ssl=true",
    "jdbc:sqlserver://db:1433;user=sa;Password=S3cr3t-5;encrypt=true": "jdbc:sqlserver://db:1433;user=sa;Password=********;encrypt=true",
    "GET /c?config=user%3Dshop%26password%3DS3cr3t-6%26ssl%3Dtrue": "GET /c?config=user%3Dshop%26password%3D********%26ssl%3Dtrue",
    "jdbc:oracle:thin:shop/S3cr3t-7@//db.example.net:1521/ORCL": "jdbc:oracle:thin:shop/********@//db.example.net:1521/ORCL",
    "Authorization: Bearer S3cr3t-8": "Authorization: Bearer ********",
    "{Authorization=Basic YXBwOlMzY3IzdC05, Accept=application/json}": "{Authorization=Basic ********, Accept=application/json}",
    "calling with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.S3cr3t failed": "calling with Bearer ******** failed",
    "login failed, password:S3cr3t-10 was refused": "login failed, password:******** was refused",
    'PlainLoginModule required username="u" password="S3cr3t-11";': 'PlainLoginModule required username="u" password="********";',
    "{connection.user=shop, connection.password=S3cr3t-12, mode=bulk}": "{connection.user=shop, connection.password=********, mode=bulk}",
    "ssl.keystore.key=" + PEM: "ssl.keystore.key=-----BEGIN PRIVATE KEY-----********-----END PRIVATE KEY-----",
    json.dumps({"type": "service_account", "private_key_id": "S3cr3t-13", "private_key": PEM + "\n", "client_email": "a@b.example"}):
        json.dumps({"type": "service_account", "private_key_id": MASK, "private_key": MASK, "client_email": "a@b.example"}),
    "Invalid value: basic.auth.user.info = fred:S3cr3t-14\n\tat x.Y(Y.java:1)": "Invalid value: basic.auth.user.info = ********\n\tat x.Y(Y.java:1)",
    "{value.converter.basic.auth.user.info=fred:S3cr3t-15, x=1}": "{value.converter.basic.auth.user.info=********, x=1}",
    '"s3.sse.customer.key": "S3cr3t-16"': '"s3.sse.customer.key": "********"',
}


@pytest.mark.parametrize("text", list(MASKED))
def test_each_kind_of_secret_is_masked_where_it_stands(text):
    assert mask_text(text) == MASKED[text]
    assert mask_text(MASKED[text]) == MASKED[text]


@pytest.mark.parametrize("text", [
    'FATAL: password authentication failed for user "shop"',
    "Basic authentication is disabled; set kafka.auth.mode",
    "https://example.net:8443/v1/users?email=ops@example.net",
    "http://docs.example.net:80/images/logo@2x.png",
    "at org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:646)",
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
    "compass=north; passive=true; key.converter=org.X",
    "Connect to secretsmanager.us-east-1.amazonaws.com:443 failed",
    "http://vault-token-service:8200/v1/auth",
    "${file:/opt/kafka/secrets.properties:url}",
])
def test_text_without_a_secret_is_kept(text):
    assert mask_text(text) == text


def test_redaction_masks_every_secret_of_a_connector_and_keeps_every_key():
    connector = {
        "connector_id": "c-1", "name": "sink", "state": "failed", "TTL": 0, "user_password": "Top-User-Pass",
        "state_error_message": "connect to mongodb://app:Msg-Secret@h/db failed",
        "tasks": [{"id": 0, "state": "FAILED", "trace": "ConnectException: token=Trace-Secret\n\tat x.Y(Y.java:1)"}],
        "properties": {"connection.password": 12345, "secret.list": ["a", 7.5], "ssl": {"truststore.password": {"x": 1}, "enabled": True},
                       "empty.password": None, "hosts": ["kafka://u:pw@h1:9092", 7, None], "tasks.max": 1},
        "future_field": [{"detail": "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}],
    }
    original = copy.deepcopy(connector)
    assert redact(connector) == {
        "connector_id": "c-1", "name": "sink", "state": "failed", "TTL": 0, "user_password": MASK,
        "state_error_message": "connect to mongodb://app:********@h/db failed",
        "tasks": [{"id": 0, "state": "FAILED", "trace": "ConnectException: token=********\n\tat x.Y(Y.java:1)"}],
        "properties": {"connection.password": MASK, "secret.list": MASK, "ssl": {"truststore.password": MASK, "enabled": True},
                       "empty.password": None, "hosts": ["kafka://u:********@h1:9092", 7, None], "tasks.max": 1},
        "future_field": [{"detail": "Authorization: Basic ********"}],
    }
    assert connector == original
    cluster = {"cluster_id": "k", "username": "dXNlcg", "password": "Cluster-Pass", "max_partitions": 100}
    assert redact(cluster) == dict(cluster, password=MASK)


def test_secret_strings_are_the_masked_values_as_they_appear():
    properties = {"connection.password": "Whole-Value-1", "api_key": 123456, "secret.list": ["List-Secret-2", 7.5, True],
                  "ssl": {"truststore.password": "Nested-3"}, "none.token": None, "uri": "redis://app:Url-S3cr3t@cache:6379/0",
                  "already": "s3://u:%s@bucket/x" % MASK, "key.converter": "org.Converter"}
    assert secret_strings(properties) == {"Whole-Value-1", "123456", "List-Secret-2", "Nested-3", "Url-S3cr3t"}


@pytest.mark.parametrize("secret, searched", [("p", False), ("abcde", False), ("abcdef", True), ("test_c", True)])
def test_a_short_secret_is_masked_in_place_but_not_searched_for_elsewhere(secret, searched):
    connector = {"name": "test_connector", "properties": {"db.password": secret, "uri": "mysql://u:%s@db/x" % secret}}
    assert redact(connector) == {"name": "test_connector", "properties": {"db.password": MASK, "uri": "mysql://u:********@db/x"}}
    assert (secret in secret_strings(connector)) is searched


# A repeated near miss of one pattern: a backtracking pattern would rescan it to the end at each start.
NEAR_MISSES = ["a://u:", "a://u:p@@", "password=", 'password="', '"private_key": ', "-----BEGIN PRIVATE KEY-----x",
               "Bearer ", "token.token.token.", "jdbc:oracle:thin:u/", "%26password%3D", "secret:a:"]


@pytest.mark.parametrize("near_miss", NEAR_MISSES)
def test_hostile_repetitions_are_read_to_the_end(near_miss):
    text = near_miss * (100000 // len(near_miss)) + "\n-----END PRIVATE KEY-----\nuri https://u:Tail-Secret@h/x"
    assert mask_text(text).endswith("-----END PRIVATE KEY-----\nuri https://u:********@h/x")


# How a secret can sit inside a string: {0} the secret, {1} whatever comes before it.
TEXT_KINDS = (
    "{1} mongodb+srv://app:{0}@cluster0.example.net/db",
    "{1} jdbc:postgresql://db:5432/shop?user=shop&password={0}&ssl=true",
    "{1};user=sa;pwd={0};encrypt=true",
    "{1}\nAuthorization: Bearer {0}\n",
    "{1} header Basic {0}",
    "{1} -----BEGIN ENCRYPTED PRIVATE KEY-----\n{0}\n-----END ENCRYPTED PRIVATE KEY-----",
    '{1} {{"type": "service_account", "private_key": "{0}", "client_id": "1"}}',
    "{1} jdbc:oracle:thin:shop/{0}@db.example.net:1521:ORCL",
    "{1} schema.registry.basic.auth.user.info={0}",
    "{1} ?q=user%3Dshop%26password%3D{0}%26ssl%3Dtrue",
)
PLAIN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._/()", max_size=30)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3),
                    max_leaves=8)


@EXAMPLES
@given(kind=st.sampled_from(TEXT_KINDS), before=PLAIN, secret=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=12, max_size=12),
       where=st.sampled_from(["properties", "state_error_message", "trace", "unknown"]), around=st.dictionaries(st.text(max_size=8), JSON, max_size=3))
def test_a_secret_planted_anywhere_never_survives(kind, before, secret, where, around):
    secret = "Planted" + secret
    text = kind.format(secret, before)
    connector = dict(around, properties={"topics": "orders"})
    if where == "properties":
        connector["properties"]["connection.url"] = text
    elif where == "trace":
        connector["tasks"] = [{"id": 0, "trace": "ConnectException: %s\n\tat x.Y(Y.java:1)" % text}]
    else:
        connector[where] = [{"detail": text}] if where == "unknown" else text
    redacted = redact(connector)
    assert secret not in json.dumps(redacted)
    assert any(secret in found for found in secret_strings(connector))


@EXAMPLES
@given(st.dictionaries(st.text(max_size=12), JSON, max_size=5))
def test_redaction_keeps_every_key_and_is_idempotent(data):
    redacted = redact(data)
    assert list(redacted) == list(data)
    assert redact(redacted) == redacted


# --- the account's credential in any disguise -------------------------------------------------------

FORMS = CredentialForms(EMAIL, KEY)
PAIR = base64.b64encode(("%s:%s" % (EMAIL, KEY)).encode()).decode()


def per_char_percent(text):
    return "".join("%%%02X" % byte for byte in text.encode())


def per_char_json(text):
    return "".join("\\u%04x" % ord(char) for char in text)


ENCODINGS = {
    "raw": lambda text: text,
    "quote": lambda text: quote(text, safe=""),
    "quote_plus": quote_plus,
    "percent per character": per_char_percent,
    "percent twice": lambda text: quote(per_char_percent(text), safe=""),
    "json": lambda text: json.dumps(text)[1:-1].replace("/", "\\/"),
    "json per character": per_char_json,
    "html": lambda text: "".join("&#%d;" % ord(char) for char in text),
    "html escape": html.escape,
}


@pytest.mark.parametrize("text", [
    KEY, PAIR, PAIR.rstrip("="), base64.urlsafe_b64encode(("%s:%s" % (EMAIL, KEY)).encode()).decode(), base64.b64encode(KEY.encode()).decode(),
    "Authorization: Basic " + PAIR, per_char_percent(KEY), quote(per_char_percent(KEY), safe=""), per_char_json(KEY),
    "".join("&#x%x;" % ord(char) for char in KEY), json.dumps({"auth": PAIR}), KEY[:9] + "\n  " + KEY[9:17] + " " + KEY[17:],
    KEY[5:13], PAIR[-14:-6], base64.encodebytes(("%s:%s" % (EMAIL, KEY * 4)).encode()).decode(),
])
def test_the_credential_is_found_in_its_disguises(text):
    assert FORMS.finds("the server said <<%s>> again" % text)


@pytest.mark.parametrize("text", [
    "", "Basic authentication required", "HTTP 401 Unauthorized for " + EMAIL, KEY[:7], KEY[7:14] + "|" + KEY[14:21],
    base64.b64encode(b"someone@example.net:their-key").decode(), "100% sure \\n &amp; more " + KEY[:7], KEY[:4] + "*" + KEY[4:11],
])
def test_near_misses_are_not_the_credential(text):
    assert not FORMS.finds(text)


@pytest.mark.parametrize("text, found", [("abc1", True), ("key=abc%31!", True), ("abc", False), ("ab c1x", True), ("bc1", False)])
def test_a_key_shorter_than_a_fragment_is_found_only_whole(text, found):
    assert CredentialForms(EMAIL, "abc1").finds(text) is found


# Printable ASCII without whitespace (a key split by whitespace is tested above) or the mask's "*".
KEYS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="*"), min_size=8, max_size=40)
# Without the characters that open an escape, which could join the encoded form: "\\" + "\\u0041" is no escape.
CONTEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="*%\\&"), max_size=30)


@EXAMPLES
@given(key=KEYS, before=CONTEXT, after=CONTEXT, pair=st.booleans(), encoding=st.sampled_from(sorted(ENCODINGS)),
       start=st.integers(min_value=0, max_value=80))
def test_any_run_of_eight_of_any_form_in_any_encoding_is_found(key, before, after, pair, encoding, start):
    form = base64.b64encode(("%s:%s" % (EMAIL, key)).encode()).decode() if pair else key
    start = min(start, len(form) - 8)
    piece = form[start:start + 8 + start % 5]
    assert CredentialForms(EMAIL, key).finds(before + ENCODINGS[encoding](piece) + after)


@EXAMPLES
@given(key=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=8, max_size=40),
       width=st.integers(min_value=1, max_value=7))
def test_the_key_cut_into_runs_shorter_than_a_fragment_is_not_found(key, width):
    text = "*".join(key[at:at + width] for at in range(0, len(key), width))
    assert not CredentialForms(EMAIL, key).finds("%s said %s" % (EMAIL, text))
