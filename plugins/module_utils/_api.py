# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one client of the Upstash Developer API: options, one request path, and every failure
mapped to an UpstashError whose message is one sentence that never holds the credential.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import traceback
import warnings
from urllib.parse import quote, urlsplit

from ansible_collections.upstash.cloud.plugins.module_utils._errors import (
    QUOTE_MAX, UpstashError, plain_type, quoted, shorten, status_failure, transport_failure, words)
from ansible_collections.upstash.cloud.plugins.module_utils._secrets import MASK, CredentialForms

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from urllib3.exceptions import InsecureRequestWarning

    from ansible_collections.upstash.cloud.plugins.module_utils._transport import (
        Call, Cancelled, DeadlineAdapter, RetryPolicy, TooLarge, decompressed_body, system_trust_store)
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True

# No version: galaxy.yml is the one place the collection's version is written.
USER_AGENT = "ansible-upstash.cloud"
DEFAULT_API_URL = "https://api.upstash.com"
# Bounds of the options: a retry count or a number of seconds beyond them is a typo, not a plan.
RETRIES_MAX = 10
SECONDS_MAX = 3600.0
# 100,000 connectors of 5 KB each fit with room to spare.
DEFAULT_MAX_RESPONSE_MB = 512
# A connector nests a few levels; deeper data would break Python's and Ansible's own recursion.
MAX_JSON_DEPTH = 32
# Account-wide calls fetch this many clusters at once; the API is not flooded.
MAX_CONCURRENT_REQUESTS = 8

_ID = re.compile(r"\A[A-Za-z0-9_-]+\Z")
# Cluster ids are UUIDs, connector ids base64 of a few names: far shorter than this.
ID_MAX = 256
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# requests and urllib3 log raw headers and retried errors, which may repeat what a server echoed; Ansible's
# log_path handler would write them. Their records, from any of their modules, stop at their own loggers.
for _logger in map(logging.getLogger, ("urllib3", "requests")):
    _logger.addHandler(logging.NullHandler())
    _logger.propagate = False


def api_argument_spec():
    """The options every plugin shares, as an argument spec (documented in doc fragment upstash)."""
    from ansible.module_utils.basic import env_fallback

    return dict(
        email=dict(type="str", fallback=(env_fallback, ["UPSTASH_EMAIL"])),
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["UPSTASH_API_KEY"])),
        api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["UPSTASH_API_URL"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["UPSTASH_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["UPSTASH_CA_PATH"])),
        timeout=dict(type="float", default=30.0),
        retries=dict(type="int", default=3),
        max_response_mb=dict(type="int", default=DEFAULT_MAX_RESPONSE_MB, fallback=(env_fallback, ["UPSTASH_MAX_RESPONSE_MB"])),
        redact=dict(type="bool", default=True),
    )


API_OPTION_NAMES = ("email", "api_key", "api_url", "validate_certs", "ca_path", "timeout", "retries", "max_response_mb")


def validate_id(value, what):
    """An id can never change the request path: letters, digits, '-' and '_' only."""
    if not isinstance(value, str) or not _ID.match(value):
        shown = quoted(value) if isinstance(value, str) else "a value of type %s" % plain_type(value)
        raise UpstashError("Invalid %s %s: it must be a non-empty string of letters, digits, '-' and '_'." % (what, shown))
    if len(value) > ID_MAX:
        raise UpstashError("Invalid %s %s: it is %d characters long, and no id of the API is longer than %d." % (what, quoted(value), len(value), ID_MAX))
    return value


def bounded_seconds(value, name):
    """A number of seconds above 0 and at most SECONDS_MAX (not NaN, not infinite)."""
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")
    if not (math.isfinite(number) and 0 < number <= SECONDS_MAX):
        raise UpstashError("Invalid %s %s: it must be a number of seconds greater than 0 and at most %g." % (name, quoted(value), SECONDS_MAX))
    return float(number)


def _whole_number(value, name, low, high=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise UpstashError("Invalid %s %s: it must be a whole number %s." % (
            name, quoted(value), "from %d to %d" % (low, high) if high is not None else "of %d or more" % low))
    return value


def _json_kind(value):
    for kind, name in ((dict, "a JSON object"), (list, "a JSON list"), (str, "a JSON string"), (bool, "a JSON boolean")):
        if isinstance(value, kind):
            return name
    return "JSON null" if value is None else "a JSON number"


def _deeper_than(data, limit):
    """Whether JSON data nests containers more than limit levels deep; level by level, no recursion."""
    level = [data] if isinstance(data, (dict, list)) else []
    for _depth in range(limit):
        level = [item for value in level for item in (value.values() if isinstance(value, dict) else value)
                 if isinstance(item, (dict, list))]
        if not level:
            return False
    return True


def _strings_changed(data, change):
    """A copy of JSON data with change(string) in place of every string, keys too."""
    if isinstance(data, str):
        return change(data)
    if isinstance(data, list):
        return [_strings_changed(item, change) for item in data]
    if isinstance(data, dict):
        return dict((_strings_changed(key, change), _strings_changed(item, change)) for key, item in data.items())
    return data


class Client:
    """Talks to one API endpoint with one set of credentials; options as the shared argument spec has them."""

    def __init__(self, email=None, api_key=None, api_url=DEFAULT_API_URL, validate_certs=True, ca_path=None,
                 timeout=30.0, retries=3, max_response_mb=DEFAULT_MAX_RESPONSE_MB):
        missing = [("email", "UPSTASH_EMAIL"), ("api_key", "UPSTASH_API_KEY")]
        missing = ["%s (or %s)" % pair for pair, value in zip(missing, (email, api_key)) if not value]
        if missing:
            raise UpstashError("Missing credentials: set %s." % " and ".join(missing))
        if not HAS_REQUESTS:
            raise UpstashError("The Python library requests is required by upstash.cloud but is not installed.")
        self.credential = CredentialForms(email, api_key)
        for name, value in (("email", email), ("api_key", api_key)):
            if not isinstance(value, str) or not all(ord(char) < 256 for char in value):
                raise UpstashError("Invalid %s: HTTP basic authentication carries only Latin-1 characters, and it has "
                                   "others (check for a pasted quote, dash or space)." % name)
        self._parse_api_url(api_url or DEFAULT_API_URL)
        self.timeout = bounded_seconds(timeout, "timeout")
        self.retries = _whole_number(retries, "retries", 0, RETRIES_MAX)
        self.max_bytes = _whole_number(max_response_mb, "max_response_mb", 1) * 1024 * 1024
        self.verify = self._trust(validate_certs, ca_path)
        self.call = Call(self.timeout, self.max_bytes)
        self._auth = (email, api_key)
        # One session per method, since urllib3 retries by adapter; a read-only call needs only GET's.
        self._sessions = {"GET": self._session("GET")}
        # A 404 says "no such id" only once this endpoint has answered as the API does.
        self.api_shown = False
        self.last_status = None

    @property
    def identity(self):
        """Who asks what of whom, for answer caches: the key only as a digest."""
        email, api_key = self._auth
        return (self.base_url, email, hashlib.sha256(api_key.encode("utf-8")).hexdigest(), repr(self.verify))

    def _parse_api_url(self, api_url):
        try:
            parts = urlsplit(api_url)
            port = parts.port
        except (ValueError, TypeError, AttributeError):
            parts = port = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise UpstashError("Invalid api_url %s: it must be an http:// or https:// URL with a host name." % quoted(self._safe(str(api_url))))
        if parts.username is not None or parts.password is not None:
            raise UpstashError("Invalid api_url: it must not contain credentials; use the email and api_key options instead.")
        self.host = parts.hostname if port is None else "%s:%s" % (parts.hostname, port)
        self.prefix = parts.path.rstrip("/")  # a proxy's path before the API's own /v2/...
        self.base_url = "%s://%s%s" % (parts.scheme, parts.netloc, self.prefix)

    def _trust(self, validate_certs, ca_path):
        """requests' verify: False, the CA file or directory given, or the platform's trust store."""
        if not validate_certs:
            warnings.simplefilter("ignore", InsecureRequestWarning)  # said once, through warnings
            return False
        if ca_path:
            if not isinstance(ca_path, str) or not os.path.exists(ca_path):
                shown = self._safe(os.path.abspath(str(ca_path)))
                raise UpstashError("Invalid ca_path %s: no such file or directory (a relative path is read from the "
                                   "playbook's directory)." % (shown if len(shown) <= QUOTE_MAX else "..." + shown[-QUOTE_MAX:]))
            return ca_path
        return (system_trust_store() or True) if self.base_url.startswith("https:") else True

    def _session(self, method):
        session = requests.Session()
        session.auth = self._auth
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        adapter = DeadlineAdapter(max_retries=RetryPolicy.for_method(method, self.retries), pool_maxsize=MAX_CONCURRENT_REQUESTS)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _safe(self, text):
        """text, or a note in its place when it holds the credential in any form."""
        return "(withheld: it repeats a credential)" if self.credential.finds(text) else text

    # --- the one request path --------------------------------------------------------------------------

    def request(self, method, path, ids=(), body=None, missing=None, expect=None):
        """The decoded JSON of the 2xx answer to method path (its %s filled by ids, validated). missing names
        what a 404 means ("Kafka connector 'x'"), trusted once the endpoint has shown it is the API. Any
        failure raises UpstashError with the status, if there was one."""
        for name, value in ids:
            validate_id(value, name)
        path = path % tuple(quote(value, safe="") for _name, value in ids)
        shown = self.prefix + path
        request = "%s %s" % (method, shorten(shown))
        if self.call.cancelled:
            raise UpstashError("Nothing was sent for %s: the task's time was up." % request)
        kwargs = dict(timeout=self.timeout, verify=self.verify, stream=True, allow_redirects=method == "GET")
        if body is not None:
            kwargs.update(data=json.dumps(body, ensure_ascii=False).encode("utf-8"), headers={"Content-Type": "application/json"})
        try:
            self.call.bind_thread()
            if method not in self._sessions:
                self._sessions[method] = self._session(method)
            response = self._sessions[method].request(method, self.base_url + path, **kwargs)
            raw = decompressed_body(response, self.max_bytes, cut=response.status_code >= 300)
        except TooLarge:
            raise UpstashError("The answer from %s to %s is larger than %d MiB (max_response_mb); raise max_response_mb "
                               "if it is expected." % (self.host, request, self.max_bytes // 1048576))
        except Cancelled:
            raise UpstashError("The call ended (the task's time was up) before %s answered %s." % (self.host, request))
        except (requests.exceptions.RequestException, ValueError, OSError, UnicodeError) as exc:
            raise UpstashError(transport_failure(self, exc, method, request))
        status = response.status_code
        if status >= 300:
            raise status_failure(self, response, raw, request, missing)
        data = self._decode(raw, request, status)
        if expect is not None:
            self._check_shape(data, request, status, expect)
        self.api_shown, self.last_status = True, status
        return data

    def _decode(self, raw, request, status):
        text = raw.decode("utf-8", "replace")
        try:
            data = json.loads(text)
        except RecursionError:
            data = text = None
        except ValueError:
            stripped = text.lstrip()
            what = ("an HTML page" if stripped[:1] == "<" else "an empty body" if not stripped else
                    "truncated or malformed JSON" if stripped[:1] in "[{" else "text that is not JSON")
            raise UpstashError("The answer from %s to %s is %s, not the API's JSON." % (self.host, request, what), status)
        if text is None or _deeper_than(data, MAX_JSON_DEPTH):
            raise UpstashError("The answer from %s to %s is nested deeper than %d levels, which no real answer is."
                               % (self.host, request, MAX_JSON_DEPTH), status)
        if "\\ud" in text or "\\uD" in text:
            # A module process cannot return lone surrogates, and the worker must give the same answer.
            data = _strings_changed(data, lambda string: _LONE_SURROGATE.sub("\ufffd", string))
        if self.credential.finds(text):
            data = _strings_changed(data, lambda string: MASK if self.credential.finds(string) else string)
        return data

    # --- the API's calls ---------------------------------------------------------------------------------

    def _check_shape(self, data, request, status, expect):
        """expect: "object" for one connector, or the kind of object an answer lists ("cluster", "connector")."""
        if expect == "object":
            if isinstance(data, dict):
                return
            what, expected = _json_kind(data), "a JSON connector object"
        else:
            odd = [entry for entry in data if not isinstance(entry, dict)] if isinstance(data, list) else [data]
            if not odd:
                return
            what = _json_kind(data) if not isinstance(data, list) else "a JSON list holding %s" % _json_kind(odd[0])
            expected = "a JSON list of %s objects" % expect
        raise UpstashError("The answer from %s to %s is %s; expected %s." % (self.host, request, what, expected), status)

    def list_clusters(self):
        return self.request("GET", "/v2/kafka/clusters", expect="cluster")

    def list_connectors(self, cluster_id):
        return self.request("GET", "/v2/kafka/connectors/%s", [("cluster_id", cluster_id)], missing="Kafka cluster %s" % quoted(cluster_id),
                            expect="connector")

    def get_connector(self, connector_id):
        return self._connector("GET", "/v2/kafka/connector/%s", connector_id, expect="object")

    def _connector(self, method, path, connector_id, body=None, expect=None):
        return self.request(method, path, [("connector_id", connector_id)], body, "Kafka connector %s" % quoted(connector_id), expect)

    def create_connector(self, cluster_id, name, properties):
        return self.request("POST", "/v2/kafka/connector", body={"name": name, "cluster_id": validate_id(cluster_id, "cluster_id"),
                                                                 "properties": properties})

    def update_connector(self, connector_id, properties):
        # The API answers with the connector, or "OK": a 2xx status is what says it was done.
        return self._connector("POST", "/v2/kafka/update-connector/%s", connector_id, properties)

    def delete_connector(self, connector_id):
        return self._connector("DELETE", "/v2/kafka/connector/%s", connector_id)

    def act(self, connector_id, action):
        """pause, start or restart a connector."""
        return self._connector("POST", "/v2/kafka/connector/%s/" + action, connector_id)


def api_call(options, body, warn):
    """body(client), with a client built from options, as every plugin runs it. Python warnings raised
    meanwhile reach warn(sentence) once each. Any other error becomes an UpstashError, with the traceback
    for -vvv; exceptions that are not errors (the task's timeout, an interrupt) pass through."""
    client = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            client = Client(**dict((name, options.get(name)) for name in API_OPTION_NAMES if options.get(name) is not None))
            return body(client)
        except UpstashError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            said = words("%s: %s" % (type(exc).__name__, exc), _credential_of(options, client))
            raise UpstashError("Unexpected internal error in upstash.cloud (%s); this is a bug, please report it with the "
                               "traceback that -vvv shows." % said, traceback_text=traceback.format_exc())
        finally:
            sentences = []
            if client is not None and client.verify is False and client.base_url.startswith("https:"):
                sentences.append("TLS certificates of %s are not verified (validate_certs is false): use this only for a "
                                 "test endpoint you control." % client.host)
            credential = _credential_of(options, client) if caught else None
            for warning in caught:
                text = "%s: %s" % (warning.category.__name__, words(str(warning.message), credential))
                if text not in sentences:
                    sentences.append(text)
            for sentence in sentences:
                warn(sentence)


def _credential_of(options, client):
    if client is not None:
        return client.credential
    email, api_key = options.get("email"), options.get("api_key")
    return CredentialForms(email if isinstance(email, str) else "", api_key) if isinstance(api_key, str) and api_key else None
