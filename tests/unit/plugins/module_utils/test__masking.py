# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import html
import json
import logging
from urllib.parse import quote, quote_plus, urlencode

import pytest
import requests  # noqa: F401  pylint: disable=unused-import  # creates the loggers of requests and urllib3, as the client's import does
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.upstash.cloud.plugins.module_utils import _masking
from ansible_collections.upstash.cloud.plugins.module_utils._masking import (
    ESCAPE_REACH,
    FRAGMENT,
    MASK,
    CredentialMask,
    mask_basic_credentials,
    mask_credentials,
    withhold_transport_logs,
)

EMAIL = "ops@example.com"
KEY = 'k3y+/=&"%\\-7f2c9a41e0'
PAIR = base64.b64encode(("%s:%s" % (EMAIL, KEY)).encode()).decode()
KEY64 = base64.b64encode(KEY.encode()).decode()

# Printable ASCII; "*" is left out because the mask itself is made of it.
KEYS = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="*"), min_size=FRAGMENT, max_size=48)
CONTEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="*"), max_size=30)


def per_char_percent(text):
    return "".join("%%%02X" % byte for byte in text.encode())


def per_char_json(text):
    return "".join("\\u%04x" % ord(char) for char in text)


def json_escaped(text):
    return json.dumps(text)[1:-1].replace("/", "\\/")


def bytes_repr(text):
    return repr(text.encode())[2:-1]


# Encodings that work character by character: the encoding of a run of the form is a run of the
# encoded form, which is what the survivor check looks for.
ENCODINGS = {
    "raw": lambda text: text,
    "quote": lambda text: quote(text, safe=""),
    "quote_plus": quote_plus,
    "percent_per_char": per_char_percent,
    "json": json_escaped,
    "json_per_char": per_char_json,
    "html": html.escape,
    "bytes_repr": bytes_repr,
    "percent_twice": lambda text: quote(quote(text, safe=""), safe=""),
}


def forms(email, key):
    """What a server can echo: the key, and the base64 of email:key and of the key, padded or not."""
    pair = base64.b64encode(("%s:%s" % (email, key)).encode()).decode()
    alone = base64.b64encode(key.encode()).decode()
    return {"key": key, "pair": pair, "pair_unpadded": pair.rstrip("="), "key64": alone,
            "pair_urlsafe": base64.urlsafe_b64encode(("%s:%s" % (email, key)).encode()).decode()}


def runs(form):
    """The runs of form holding FRAGMENT characters that are not whitespace (whitespace splits nothing)."""
    found = set()
    for start in range(len(form)):
        end, count = start, 0
        while end < len(form) and count < FRAGMENT:
            count += not form[end].isspace()
            end += 1
        if count == FRAGMENT:
            found.add(form[start:end])
    return found


def survivors(masked, form, encode):
    """The runs of form whose encoding is still in masked (whitespace ignored)."""
    joined = "".join(masked.split())
    return sorted(run for run in runs(form) if encode(run) in masked or "".join(encode(run).split()) in joined)


@settings(max_examples=150, deadline=None)
@given(key=KEYS, before=CONTEXT, after=CONTEXT, form=st.sampled_from(sorted(forms(EMAIL, KEY))),
       encoding=st.sampled_from(sorted(ENCODINGS)))
def test_every_form_in_every_encoding_is_masked(key, before, after, form, encoding):
    secret = forms(EMAIL, key)[form]
    encode = ENCODINGS[encoding]
    masked = mask_credentials(before + encode(secret) + after, EMAIL, key)
    assert survivors(masked, secret, encode) == []


@settings(max_examples=100, deadline=None)
@given(key=KEYS, form=st.sampled_from(["key", "pair", "key64"]), encoding=st.sampled_from(["raw", "quote", "json", "percent_per_char"]),
       cuts=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=6), prefix=st.sampled_from(["Basic ", "Bearer ", "x="]))
def test_split_and_wrapped_forms_are_masked(key, form, encoding, cuts, prefix):
    encoded = ENCODINGS[encoding](forms(EMAIL, key)[form])
    split, previous = [], 0
    for cut in sorted(set(min(cut, len(encoded)) for cut in cuts)):
        split.append(encoded[previous:cut])
        previous = cut
    split.append(encoded[previous:])
    masked = mask_credentials("said: %s%s." % (prefix, "\n ".join(split)), EMAIL, key)
    assert survivors(masked, forms(EMAIL, key)[form], ENCODINGS[encoding]) == []


@settings(max_examples=100, deadline=None)
@given(key=KEYS, form=st.sampled_from(["key", "pair"]), encoding=st.sampled_from(sorted(ENCODINGS)),
       start=st.integers(min_value=0, max_value=200), length=st.integers(min_value=FRAGMENT, max_value=200))
def test_a_run_left_by_shortening_is_masked(key, form, encoding, start, length):
    encoded = ENCODINGS[encoding](forms(EMAIL, key)[form])
    piece = encoded[start:start + length]
    masked = mask_credentials("error: " + piece + "...", EMAIL, key)
    assert survivors(masked, forms(EMAIL, key)[form], ENCODINGS[encoding]) == []


@settings(max_examples=100, deadline=None)
@given(key=KEYS, wrapped_in=st.binary(max_size=20), after=st.binary(max_size=20))
def test_base64_of_anything_holding_the_key_is_masked(key, wrapped_in, after):
    encoded = base64.b64encode(wrapped_in + key.encode() + after).decode()
    mime = base64.encodebytes(wrapped_in + key.encode() + after).decode()
    for text in (encoded, mime):
        masked = mask_credentials(text, EMAIL, key)
        # The characters that depend on the key alone: four for every three bytes of it.
        offset = len(wrapped_in) % 3
        core = base64.b64encode(b"\0" * offset + key.encode()).decode()[-(-offset * 8 // 6):(offset + len(key)) * 8 // 6]
        assert survivors(masked, core, ENCODINGS["raw"]) == []


def test_the_echoed_forms_of_the_issue_each_become_the_mask():
    cases = [
        KEY,
        "Basic " + PAIR,
        PAIR,
        PAIR.rstrip("="),
        "Bearer " + PAIR,
        "Bearer " + KEY64,
        base64.encodebytes(("%s:%s" % (EMAIL, KEY * 5)).encode()).decode(),
        urlencode({"authorization": "Basic " + PAIR}),
        per_char_percent(KEY),
        per_char_json(KEY),
        json.dumps({"auth": PAIR}).replace("/", "\\/"),
        KEY[:9] + "\n" + KEY[9:],
    ]
    for case in cases:
        masked = CredentialMask(EMAIL, KEY).mask("<<" + case + ">>")
        assert MASK in masked
        assert KEY[:FRAGMENT] not in masked and PAIR[-12:-4] not in masked, (case, masked)


def test_the_text_around_a_form_is_kept():
    masked = CredentialMask(EMAIL, KEY).mask("user %s failed with key %s (Authorization: Basic %s)" % (EMAIL, KEY, PAIR))
    assert masked == "user %s failed with key ******** (Authorization: Basic ********)" % EMAIL


def test_wrapped_base64_is_masked_as_one_piece_and_the_lines_around_it_stay():
    wrapped = base64.encodebytes(("%s:%s" % (EMAIL, KEY * 4)).encode()).decode()
    masked = mask_credentials("first line\n" + wrapped + "last line\n", EMAIL, KEY)
    assert masked == "first line\n********\nlast line\n"


def test_a_short_key_is_masked_where_it_appears_whole():
    assert mask_credentials("key=abc%31 and abc1", EMAIL, "abc1") == "key=******** and ********"


@pytest.mark.parametrize("text", [
    "Basic authentication required", "the key you gave is wrong", "ops@example.com", "HTTP 401 Unauthorized",
    "100% sure \\n &amp; more", "", "   ",
])
def test_text_without_the_key_is_unchanged(text):
    mask = CredentialMask(EMAIL, KEY)
    assert mask.mask(text) == text
    assert not mask.finds(text)


def test_any_basic_pair_is_masked_even_of_another_user():
    other = base64.b64encode(b"someone@example.net:their-key").decode()
    assert mask_basic_credentials("Authorization: Basic %s" % other) == "Authorization: Basic ********"
    assert mask_basic_credentials("Basic abcd is not a pair") == "Basic abcd is not a pair"


def test_data_is_masked_everywhere_keys_included():
    mask = CredentialMask(EMAIL, KEY)
    data = {"connectors": [{"name": "echo", "trace": "auth=" + quote(KEY, safe=""), "n": 1, "ok": True, "none": None},
                           ("Bearer " + KEY64,)],
            KEY: "x"}
    assert mask.mask_data(data) == {"connectors": [{"name": "echo", "trace": "auth=********", "n": 1, "ok": True, "none": None},
                                                   ("Bearer ********",)],
                                    MASK: "x"}
    assert mask.finds(json.dumps(data))


def test_no_key_masks_nothing_but_basic_pairs():
    assert CredentialMask(EMAIL, None).mask("abc %s" % KEY) == "abc %s" % KEY


def test_records_of_urllib3_and_requests_reach_no_handler_once_withheld():
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    handler = Collect(logging.INFO)
    logging.root.addHandler(handler)
    try:
        withhold_transport_logs()
        withhold_transport_logs()
        logging.getLogger("urllib3.connectionpool").warning("Failed to parse headers: unparsed data: %r", KEY)
        logging.getLogger("urllib3.http2.connection").warning("lazily imported: %s", KEY)
        logging.getLogger("requests").warning("requests itself: %s", KEY)
        logging.getLogger("someone.else").warning("kept")
    finally:
        logging.root.removeHandler(handler)
    assert seen == ["kept"]
    assert logging.getLogger("urllib3.connectionpool").filters.count(logging.getLogger("urllib3").filters[0]) == 1


def test_a_key_holding_an_escape_is_masked_in_pieces_as_written():
    key = "000000%00"
    for start in range(len(key) - FRAGMENT + 1):
        piece = key[start:start + FRAGMENT]
        assert piece not in mask_credentials("error: " + piece + "...", EMAIL, key)


def found_in_some_view(mask, text):
    """What finds answers, found the slow way: every window of every round's view of the whole text."""
    fragments, exact = mask._fragments, mask._exact  # pylint: disable=protected-access
    for view in _masking._views(text):  # pylint: disable=protected-access
        if any(view[start:start + FRAGMENT] in fragments for start in range(len(view) - FRAGMENT + 1)):
            return True
        if any(form in view for form in exact):
            return True
    return False


# Text far from the key, long enough to part two escapes by more than finds decodes around each.
FILLER = st.text(st.sampled_from("abcdefgh0123456789 :/=-_é\n"), max_size=3 * ESCAPE_REACH)
ESCAPES = st.sampled_from(["%25", "%41", "%2", "\\", "\\u00", "\\u0041", "&amp;", "&#37;", "&#x", "%0A", "\\n", "&", "%"])


@st.composite
def texts_around_the_key(draw, key):
    """Fillers, loose escapes, and pieces of encoded forms of the key, in any order."""
    pieces = []
    for kind in draw(st.lists(st.sampled_from(["filler", "escape", "form"]), max_size=8)):
        if kind == "filler":
            pieces.append(draw(FILLER))
        elif kind == "escape":
            pieces.append(draw(ESCAPES))
        else:
            encoded = ENCODINGS[draw(st.sampled_from(sorted(ENCODINGS)))](forms(EMAIL, key)[draw(st.sampled_from(["key", "pair", "key64"]))])
            start = draw(st.integers(min_value=0, max_value=len(encoded)))
            pieces.append(encoded[start:start + draw(st.integers(min_value=1, max_value=2 * FRAGMENT * 3))])
    return "".join(pieces)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), key=st.sampled_from([KEY, "upk-bench-4b2e9d7c1a", "abc1", "000000%00", "kéy-ünïcode-0f3a"]))
def test_finds_answers_as_a_search_of_every_view_of_the_whole_text(data, key):
    # Long plain ends keep the escapes sparse, so that finds decodes only the stretches around them.
    text = "x" * 4000 + data.draw(texts_around_the_key(key)) + "x" * 4000
    mask = CredentialMask(EMAIL, key)
    assert mask.finds(text) == found_in_some_view(mask, text)
    assert mask.finds(text) or mask.mask(mask_basic_credentials(text)) == mask_basic_credentials(text)


def test_finds_reads_a_form_decoded_far_from_the_start_of_a_long_text():
    mask = CredentialMask(EMAIL, KEY)
    plain = "x" * 50000
    for encode in ("percent_per_char", "percent_twice", "json_per_char", "html"):
        echoed = ENCODINGS[encode](KEY)
        assert mask.finds(plain + echoed + plain), encode
        assert mask.finds(plain + "%" + echoed[:FRAGMENT * 6] + " &amp;" + plain), encode
    assert not mask.finds(plain + "%41%42 &amp; \\u0043" + plain)
    # escapes everywhere: the whole text is decoded
    assert mask.finds("&amp;" * 10000 + per_char_percent(KEY) + "\\n" * 10000)
    assert not mask.finds("a=1&b=2&" * 10000)


def test_finds_reads_a_form_that_only_the_third_round_of_decoding_completes():
    # "%26" reads "&", "&#x00005C;" then reads a backslash, and "\\u0075" then reads the "u" of the key:
    # 24 characters after the one escape of the text, all of them plain until the last round.
    text = "x" * 200 + "%26#x00005C;u0075pk-benc" + "x" * 200
    mask = CredentialMask(EMAIL, "upk-bench-4b2e9d7c1a")
    views = _masking._views(text)  # pylint: disable=protected-access
    assert len(views) == 4 and "upk-benc" in views[-1] and not any("upk-benc" in view for view in views[:-1])
    assert mask.finds(text)
