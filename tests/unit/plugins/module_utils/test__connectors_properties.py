# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests of the data layer: whatever JSON the API sends, filtering and redaction do not crash,
redaction is idempotent, keeps every key, and lets no value under a secret-looking key through.

The expectations are written from the documented redaction rules (option redact), not from the implementation. Examples are derandomized and the
example database is off, so every run checks the same examples and leaves nothing behind.
"""

from __future__ import annotations

import copy
import json
import re

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.upstash.cloud.plugins.module_utils._connectors import (
    REDACTED,
    mask_url_passwords,
    redact_cluster,
    redact_connector,
    secret_strings,
    shape_connectors,
)

EXAMPLES = settings(max_examples=200, deadline=None, derandomize=True, database=None, print_blob=False)
# For the tests that draw a whole connector with a secret planted in it, which is slow to generate.
FEWER_EXAMPLES = settings(EXAMPLES, max_examples=100)

# The documented redaction rules (option redact): words that name a secret in a key, and keys that do not.
DOCUMENTED_SECRET_WORDS = (
    "password", "passwd", "pwd", "pass", "secret", "token", "credential", "apikey", "api.key", "api_key", "private.key",
    "private_key", "keyfile", "keystore.key", "access.key", "account.key", "encryption.key", "jaas", "authorization",
)
ORDINARY_WORDS = ("connection", "ssl", "db", "sasl", "client", "kafka", "auth", "mode", "key", "converter", "topics",
                  "compass", "passive", "bypass", "user", "name", "url", "store", "type")
SEPARATORS = st.sampled_from([".", "_", "-"])

# Characters that steer the URL-password pattern: plenty of them, so the odd corners get visited.
URLISH = st.text(alphabet="ab:/@?#%.+-_ \t", max_size=24)
# Text no redaction rule can read as a secret: no separator of a key and its value, no URL, no PEM
# line, no quote.
PLAIN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._/()", max_size=30)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20) | URLISH
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=10,
)


def recased(draw, word):
    upper = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(char.upper() if flag else char for char, flag in zip(word, upper))


@st.composite
def secret_keys(draw):
    """A key holding a documented secret word as a word of its own, in any case, between ordinary words."""
    words = draw(st.lists(st.sampled_from(ORDINARY_WORDS), max_size=2))
    words.insert(draw(st.integers(min_value=0, max_value=len(words))), recased(draw, draw(st.sampled_from(DOCUMENTED_SECRET_WORDS))))
    return draw(SEPARATORS).join(words)


@st.composite
def ordinary_keys(draw):
    """A key made only of ordinary words."""
    return draw(SEPARATORS).join(draw(st.lists(st.sampled_from(ORDINARY_WORDS), min_size=1, max_size=3)))


PLAIN_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._/()")
BEARER_OR_BASIC = re.compile("bearer|basic", re.IGNORECASE)
KEYS = st.text(max_size=16) | secret_keys() | ordinary_keys() | st.sampled_from(["connection.uri", "database", "ssl", "topics"])
PROPERTIES = st.recursive(
    st.dictionaries(KEYS, JSON, max_size=5),
    lambda children: st.dictionaries(KEYS, children | JSON | st.lists(children, max_size=3), max_size=4),
    max_leaves=6,
)


@st.composite
def connectors(draw):
    """A connector as the API might send it: documented fields, maybe, and anything else besides."""
    connector = draw(st.dictionaries(st.text(max_size=10), JSON, max_size=4))
    connector.update(draw(st.fixed_dictionaries({}, optional={
        "connector_id": st.text(max_size=8) | st.integers(),
        "name": st.sampled_from(["mongo-sink", "pg-source", ""]) | st.text(max_size=8) | st.none(),
        "state": st.sampled_from(["running", "failed", "paused", "pending"]),
        "properties": PROPERTIES | JSON,
        "user_password": JSON,
        "tasks": st.lists(st.fixed_dictionaries({"id": st.integers(), "state": st.text(max_size=8)}), max_size=3) | st.none(),
    })))
    return connector


CONNECTOR_LISTS = st.lists(connectors(), max_size=4)
FILTERS = st.none() | st.text(max_size=8) | st.sampled_from(["mongo-sink", "pg-source", ""])


def check_redacted(raw, redacted, path="connector"):
    """raw and redacted side by side: same keys and shape; a value is either masked as a whole or
    kept, with its strings masked only where they hold a secret; plain text and ordinary keys kept."""
    if isinstance(raw, dict):
        assert isinstance(redacted, dict), path
        assert list(redacted) == list(raw), path
        for key, value in raw.items():
            where = "%s[%r]" % (path, key)
            if redacted[key] == REDACTED and value is not None:
                continue
            check_redacted(value, redacted[key], where)
    elif isinstance(raw, list):
        assert isinstance(redacted, list) and len(redacted) == len(raw), path
        for index, (item, masked) in enumerate(zip(raw, redacted)):
            check_redacted(item, masked, "%s[%d]" % (path, index))
    elif isinstance(raw, str):
        assert isinstance(redacted, str), path
        if set(raw) <= PLAIN_CHARACTERS and not BEARER_OR_BASIC.search(raw):
            assert redacted == raw, path
    else:
        assert redacted == raw and type(redacted) is type(raw), path


@EXAMPLES
@given(CONNECTOR_LISTS, st.data(), st.booleans())
def test_filtering_and_redaction_never_crash_and_keep_order(listing, data, redact):
    # Filters drawn from the listing too, so that matches, not only misses, are exercised.
    name = data.draw(FILTERS | st.sampled_from([c.get("name") for c in listing] or [None]))
    connector_id = data.draw(FILTERS | st.sampled_from([c.get("connector_id") for c in listing] or [None]))
    states = data.draw(st.none() | st.lists(st.sampled_from(["running", "FAILED", "Paused", "pending", "gone"]), min_size=1))
    original = copy.deepcopy(listing)
    shaped = shape_connectors(listing, name=name, connector_id=connector_id, states=states, redact=redact)

    assert listing == original, "the input must not be modified"
    expected = [c for c in original if (name is None or c.get("name") == name)
                and (connector_id is None or c.get("connector_id") == connector_id)
                and (states is None or str(c.get("state")).lower() in [state.lower() for state in states])]
    assert len(shaped) == len(expected)
    for before, after in zip(expected, shaped):
        assert list(after) == list(before)
        if not redact:
            assert after == before
    json.dumps(shaped)


@EXAMPLES
@given(connectors())
@example({"properties": {"ssl": {"truststore.password": "trust-me", "enabled": True}, "hosts": ["kafka://u:pw@h1:9092", 7]}})
@example({"properties": {"API_KEY": 12345, "Secret.List": ["a", "b"], "empty.password": None}, "user_password": {"nested": 1}})
@example({"properties": [{"password": "in-a-list"}], "user_password": None})
def test_redaction_keeps_every_key_and_shape(connector):
    redacted = redact_connector(connector)
    check_redacted(connector, redacted)
    if connector.get("user_password") is not None:
        assert redacted["user_password"] == REDACTED


@EXAMPLES
@given(st.dictionaries(ordinary_keys(), PLAIN | st.integers() | st.booleans(), max_size=6))
def test_ordinary_keys_and_plain_text_are_kept(properties):
    assert redact_connector({"properties": properties}) == {"properties": properties}


@EXAMPLES
@given(CONNECTOR_LISTS)
def test_redaction_is_idempotent(listing):
    once = shape_connectors(listing)
    assert shape_connectors(once) == once
    for connector in once:
        assert redact_connector(connector) == connector


# How a secret can sit inside a string; {0} is the secret, {1} anything before it.
TEXT_KINDS = (
    "{1} mongodb+srv://app:{0}@cluster0.example.net/db",
    "{1} postgresql://shop:a/b#{0}@db.example.net:5432/shop",
    "{1} jdbc:postgresql://db:5432/shop?user=shop&password={0}&ssl=true",
    "{1};user=sa;pwd={0};encrypt=true",
    "{1}\nAuthorization: Bearer {0}\n",
    "{1} header Basic {0}",
    "{1} -----BEGIN ENCRYPTED PRIVATE KEY-----\n{0}\n-----END ENCRYPTED PRIVATE KEY-----",
    '{1} {{"type": "service_account", "private_key": "{0}", "client_id": "1"}}',
    '{1} required username="u" password="{0}";',
    "{1} jdbc:oracle:thin:shop/{0}@db.example.net:1521:ORCL",
    "{1} secret:{0}",
    "{1} ?q=user%3Dshop%26password%3D{0}%26ssl%3Dtrue",
)


@st.composite
def connector_with_planted_secret(draw):
    """A connector and a secret planted somewhere in it: under a secret-looking key, or inside a string."""
    connector = draw(connectors())
    properties = draw(PROPERTIES)
    secret_text = "Planted" + draw(st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=12, max_size=12))
    assume(secret_text not in json.dumps([connector, properties]))
    under_key = draw(st.booleans())
    if under_key:
        value = draw(st.sampled_from([secret_text, "https://user:%s@db.example.net/x" % secret_text, [secret_text, 1],
                                      {"inner": secret_text, "enabled": True}]))
    else:
        value = draw(st.sampled_from(TEXT_KINDS)).format(secret_text, draw(PLAIN))
    where = draw(st.sampled_from(["properties", "state_error_message", "trace", "unknown"])) if not under_key else "properties"
    if where == "properties":
        # Walk down a random chain of nested mappings, then plant there.
        target = properties
        for _depth in range(draw(st.integers(min_value=0, max_value=3))):
            nested = [v for v in target.values() if isinstance(v, dict)]
            if not nested:
                break
            target = draw(st.sampled_from(nested))
        target[draw(secret_keys() if under_key else ordinary_keys())] = value
        connector["properties"] = properties
    elif where == "state_error_message":
        connector["state_error_message"] = value
    elif where == "trace":
        connector["tasks"] = [{"id": 0, "state": "FAILED", "trace": "ConnectException: " + value + "\n\tat x.Y(Y.java:1)"}]
    else:
        connector["fUtUrE"] = [{"detail": value}]
    return connector, secret_text


@FEWER_EXAMPLES
@given(connector_with_planted_secret())
def test_a_planted_secret_never_survives(planted):
    connector, secret_text = planted
    assert secret_text in json.dumps(connector)
    assert secret_text not in json.dumps(shape_connectors([connector]))
    assert any(secret_text in found for found in secret_strings(connector))


def scalars_of(value):
    """Every string of value, and every number as text."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in scalars_of(item)]
    if isinstance(value, list):
        return [text for item in value for text in scalars_of(item)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    return [value] if isinstance(value, str) else []


@FEWER_EXAMPLES
@given(connector_with_planted_secret())
def test_secret_strings_are_substrings_of_the_value(planted):
    connector, dummy = planted
    texts = scalars_of(connector)
    for found in secret_strings(connector):
        assert found and REDACTED not in found
        assert any(found in text for text in texts)


@EXAMPLES
@given(st.text(max_size=200) | URLISH)
def test_url_masking_is_idempotent_and_never_grows_a_password(text):
    masked = mask_url_passwords(text)
    assert mask_url_passwords(masked) == masked
    if "@" not in text or "://" not in text:
        assert masked == text


# RFC 3986 userinfo: unreserved, sub-delims, ':' and percent-encodings; the password may hold ':' too.
UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
SUB_DELIMS = "!$&'()*+,;="


@EXAMPLES
@given(
    scheme=st.sampled_from(["mongodb+srv", "postgresql", "https", "redis", "amqp", "kafka", "s3"]),
    user=st.text(alphabet=UNRESERVED + SUB_DELIMS, max_size=10),
    password=st.text(alphabet=UNRESERVED + SUB_DELIMS + ":%", min_size=1, max_size=16),
    host=st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z]{2,6}){0,2}\Z"),
    port=st.none() | st.integers(min_value=1, max_value=65535),
    path=st.sampled_from(["", "/", "/db", "/a/b.c"]),
    query=st.sampled_from(["", "?retryWrites=true", "?a=1&b=2"]),
    before=st.sampled_from(["", "uri=", "primary "]),
)
def test_url_password_is_masked_and_the_rest_kept(scheme, user, password, host, port, path, query, before):
    authority = host if port is None else "%s:%d" % (host, port)
    url = "%s://%s:%s@%s%s%s" % (scheme, user, password, authority, path, query)
    assert mask_url_passwords(before + url) == "%s%s://%s:%s@%s%s%s" % (before, scheme, user, REDACTED, authority, path, query)


@EXAMPLES
@given(st.dictionaries(st.text(max_size=10), JSON, max_size=6), JSON)
def test_cluster_redaction_masks_the_password_and_keeps_the_shape(cluster, password):
    cluster = dict(cluster, password=password)
    redacted = redact_cluster(cluster)
    check_redacted(cluster, redacted, "cluster")
    assert redacted["password"] == (None if password is None else REDACTED)
