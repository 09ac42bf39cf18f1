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

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from ansible_collections.upstash.cloud.plugins.module_utils._connectors import (
    REDACTED,
    mask_url_passwords,
    redact_cluster,
    redact_connector,
    shape_connectors,
)

EXAMPLES = settings(max_examples=200, deadline=None, derandomize=True, database=None, print_blob=False)

# The documented redaction rules (option redact)
SPEC_MARKERS = ("password", "passwd", "secret", "token", "credential", "apikey", "api.key", "api_key", "private.key",
                "access.key", "jaas")

# Characters that steer the URL-password pattern: plenty of them, so the odd corners get visited.
URLISH = st.text(alphabet="ab:/@?#%.+-_ \t", max_size=24)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20) | URLISH
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=10,
)


def spec_is_secret(key):
    lowered = key.lower()
    return any(marker in lowered for marker in SPEC_MARKERS)


@st.composite
def secret_keys(draw):
    """A key holding a marker in any case, with anything around it."""
    marker = draw(st.sampled_from(SPEC_MARKERS))
    upper = draw(st.lists(st.booleans(), min_size=len(marker), max_size=len(marker)))
    recased = "".join(char.upper() if flag else char for char, flag in zip(marker, upper))
    return draw(st.text(max_size=6)) + recased + draw(st.text(max_size=6))


KEYS = st.text(max_size=16) | secret_keys() | st.sampled_from(["connection.uri", "database", "ssl", "topics"])
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


def check_redacted(raw, redacted, path="properties"):
    """raw and redacted side by side against the SPEC: same keys, secret values masked, the rest kept."""
    if isinstance(raw, dict):
        assert isinstance(redacted, dict), path
        assert list(redacted) == list(raw), path
        for key, value in raw.items():
            where = "%s[%r]" % (path, key)
            if spec_is_secret(key) and value is not None:
                assert redacted[key] == REDACTED, where
            else:
                check_redacted(value, redacted[key], where)
    elif isinstance(raw, list):
        assert isinstance(redacted, list) and len(redacted) == len(raw), path
        for index, (item, masked) in enumerate(zip(raw, redacted)):
            check_redacted(item, masked, "%s[%d]" % (path, index))
    elif isinstance(raw, str):
        assert isinstance(redacted, str), path
        if "@" not in raw or "://" not in raw:
            assert redacted == raw, path
    else:
        assert redacted == raw and type(redacted) is type(raw), path


@EXAMPLES
@given(CONNECTOR_LISTS, st.data(), st.booleans())
def test_filtering_and_redaction_never_crash_and_keep_order(listing, data, redact):
    # Filters drawn from the listing too, so that matches, not only misses, are exercised.
    name = data.draw(FILTERS | st.sampled_from([c.get("name") for c in listing] or [None]))
    connector_id = data.draw(FILTERS | st.sampled_from([c.get("connector_id") for c in listing] or [None]))
    original = copy.deepcopy(listing)
    shaped = shape_connectors(listing, name=name, connector_id=connector_id, redact=redact)

    assert listing == original, "the input must not be modified"
    expected = [c for c in original if (name is None or c.get("name") == name)
                and (connector_id is None or c.get("connector_id") == connector_id)]
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
def test_redaction_keeps_every_key_and_masks_what_the_spec_names(connector):
    redacted = redact_connector(connector)
    assert list(redacted) == list(connector)
    for key, value in connector.items():
        if key == "properties" and isinstance(value, dict):
            check_redacted(value, redacted[key])
        elif key == "user_password" and value is not None:
            assert redacted[key] == REDACTED
        elif key != "properties":
            assert redacted[key] == value


@EXAMPLES
@given(CONNECTOR_LISTS)
def test_redaction_is_idempotent(listing):
    once = shape_connectors(listing)
    assert shape_connectors(once) == once
    for connector in once:
        assert redact_connector(connector) == connector


@st.composite
def connector_with_planted_secret(draw):
    """A connector and a value planted under a secret-looking key somewhere in its properties."""
    connector = draw(connectors())
    properties = draw(PROPERTIES)
    secret_text = "Planted-" + draw(st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=12, max_size=12))
    assume(secret_text not in json.dumps([connector, properties]))
    secret_value = draw(st.sampled_from(["text", "url", "list", "mapping"]))
    value = {
        "text": secret_text,
        "url": "https://user:%s@db.example.net/x" % secret_text,
        "list": [secret_text, 1],
        "mapping": {"inner": secret_text, "enabled": True},
    }[secret_value]
    # Walk down a random chain of nested mappings, then plant there.
    target = properties
    for _depth in range(draw(st.integers(min_value=0, max_value=3))):
        nested = [v for v in target.values() if isinstance(v, dict)]
        if not nested:
            break
        target = draw(st.sampled_from(nested))
    target[draw(secret_keys())] = value
    connector["properties"] = properties
    return connector, secret_text


@EXAMPLES
@given(connector_with_planted_secret())
def test_a_value_under_a_secret_looking_key_never_survives(planted):
    connector, secret_text = planted
    assert secret_text in json.dumps(connector)
    assert secret_text not in json.dumps(shape_connectors([connector]))


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
def test_cluster_redaction_masks_only_the_password(cluster, password):
    cluster = dict(cluster, password=password)
    redacted = redact_cluster(cluster)
    assert list(redacted) == list(cluster)
    assert redacted["password"] == (None if password is None else REDACTED)
    assert {k: v for k, v in redacted.items() if k != "password"} == {k: v for k, v in cluster.items() if k != "password"}
