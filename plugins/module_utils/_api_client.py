# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one client of the Upstash Developer API used by every plugin of this collection.

It owns HTTP (session, auth, TLS, timeouts), retries and the mapping of every failure to an
UpstashError whose message is one sentence that never contains the API key.

Private to this collection: not an interface for other collections or playbooks; it may change in
any release.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import ssl
import time
import traceback
from urllib.parse import quote, urlsplit

from ansible_collections.upstash.cloud.plugins.module_utils._masking import (
    CredentialMask,
    mask_basic_credentials,
    withhold_transport_logs,
)

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError, InvalidHeader, NewConnectionError, ReadTimeoutError
    from urllib3.util.retry import Retry
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    Retry = object
else:
    HAS_REQUESTS = True

# No version: galaxy.yml is the one place the collection's version is written.
USER_AGENT = "ansible-upstash.cloud"
DEFAULT_API_URL = "https://api.upstash.com"

# Statuses the API documents nothing about; 429 and 5xx are treated as transient.
RETRY_STATUSES = (429, 500, 502, 503, 504)
# A POST or DELETE is repeated only when the API certainly did not act on it: it refused it outright.
# Any other 5xx may come after the change was made, and repeating a create would create twice.
MUTATION_RETRY_STATUSES = (429, 503)
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 10.0
# A server asking for a longer pause than this would stall an unattended run for too long.
RETRY_AFTER_MAX = 60.0

# Account-wide calls fetch this many clusters at once: 20 clusters cost a few round-trips,
# and the API is not flooded.
MAX_CONCURRENT_REQUESTS = 8

_ID_PATTERN = re.compile(r"\A[A-Za-z0-9_-]+\Z")
_WHITESPACE = re.compile(r"\s+")
_API_MESSAGE_MAX = 200


def api_argument_spec():
    """The options every plugin of this collection shares, as an AnsibleModule argument spec."""
    from ansible.module_utils.basic import env_fallback

    return dict(
        email=dict(type="str", fallback=(env_fallback, ["UPSTASH_EMAIL"])),
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["UPSTASH_API_KEY"])),
        api_url=dict(type="str", default=DEFAULT_API_URL, fallback=(env_fallback, ["UPSTASH_API_URL"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["UPSTASH_VALIDATE_CERTS"])),
        ca_path=dict(type="path"),
        timeout=dict(type="float", default=30.0),
        retries=dict(type="int", default=3),
        redact=dict(type="bool", default=True),
    )


API_OPTION_NAMES = ("email", "api_key", "api_url", "validate_certs", "ca_path", "timeout", "retries")


class UpstashError(Exception):
    """A failure worth one sentence to the user; str() is that sentence."""


class UpstashConfigError(UpstashError):
    """The options are unusable; nothing was sent."""


class UpstashHTTPError(UpstashError):
    """The API answered with an error status."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class UpstashConnectionError(UpstashError):
    """The API could not be reached or did not answer in time."""


class UpstashResponseError(UpstashError):
    """The API answered 2xx with a body that is not the JSON shape expected."""


def _plain_type_name(value):
    # Templated values arrive as subclasses with internal names; name the type a user wrote.
    for plain in (bool, int, float, list, dict, bytes):
        if isinstance(value, plain):
            return plain.__name__
    return "null" if value is None else type(value).__name__


def validate_id(value, what):
    """Refuse anything but letters, digits, '-' and '_' so an id can never change the request path."""
    if not isinstance(value, str) or not _ID_PATTERN.match(value):
        shown = repr(value) if isinstance(value, str) else "a value of type %s" % _plain_type_name(value)
        raise UpstashConfigError(
            "Invalid %s %s: it must be a non-empty string of letters, digits, '-' and '_'." % (what, shown)
        )
    return value


class _BoundedRetry(Retry):
    """urllib3 Retry whose Retry-After wait is capped, so the total wait stays bounded."""

    def get_retry_after(self, response):
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:
            # A Retry-After that is neither seconds nor a date is the server's bug; plain backoff still applies.
            return None
        if seconds is None:
            return None
        return min(seconds, RETRY_AFTER_MAX)


class _MutationRetry(_BoundedRetry):
    """Retries a POST or DELETE only when it certainly was not processed.

    Only a failed connection (counted by urllib3 as a connect error, raised before anything was
    sent) and the statuses of MUTATION_RETRY_STATUSES are retried: a read error or any other error
    may come after the API acted, so read and other retries are 0.
    """

    # urllib3 also retries 413 when it carries Retry-After; for a mutation only the listed statuses count.
    RETRY_AFTER_STATUS_CODES = frozenset(MUTATION_RETRY_STATUSES)


def _build_retry(retries, method="GET"):
    """The urllib3 retry policy of one request method: GET is safe to repeat, POST and DELETE are not."""
    safe = method == "GET"
    kwargs = dict(
        total=retries,
        connect=retries,
        read=retries if safe else 0,
        status=retries,
        other=0,
        redirect=5,
        backoff_factor=BACKOFF_FACTOR,
        status_forcelist=RETRY_STATUSES if safe else MUTATION_RETRY_STATUSES,
        allowed_methods=frozenset([method]),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry_class = _BoundedRetry if safe else _MutationRetry
    try:
        return retry_class(backoff_max=BACKOFF_MAX, **kwargs)
    except TypeError:  # urllib3 < 2 has no backoff_max argument
        return retry_class(**kwargs)


def _cause_chain(exc):
    """exc and every exception behind it, outermost first, through the requests/urllib3 wrappers."""
    chain = []
    current = exc
    while isinstance(current, BaseException) and all(current is not seen for seen in chain):
        chain.append(current)
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            # urllib3's ProtocolError carries its cause second: ("Connection aborted.", RemoteDisconnected(...)).
            inner = next((arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)), None)
        if inner is None:
            inner = current.__cause__ or current.__context__
        current = inner
    return chain


def _root_cause(exc):
    """The innermost exception behind a requests/urllib3 wrapper chain."""
    return _cause_chain(exc)[-1]


def _describe_cause(exc):
    cause = _root_cause(exc)
    partial, expected = getattr(cause, "partial", None), getattr(cause, "expected", None)
    if isinstance(partial, (bytes, int)) and isinstance(expected, int):
        # IncompleteRead's own text is a repr; say it in words.
        received = len(partial) if isinstance(partial, bytes) else partial
        return "%d bytes received, %d more expected" % (received, expected)
    text = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
    # urllib3 prefixes messages with a repr such as "<HTTPConnection object at 0x7f...>:"
    text = re.sub(r"<[^>]*object at 0x[0-9a-fA-F]+>:?\s*", "", text)
    # ... or, from urllib3 2 on, "HTTPConnection(host='api.upstash.com', port=443):"; the host is named anyway.
    text = re.sub(r"\bHTTPS?Connection(?:Pool)?\(host=[^)]*\):?\s*", "", text)
    text = re.sub(r"\[Errno -?\d+\]\s*", "", text)
    text = _WHITESPACE.sub(" ", text).strip().rstrip(".")
    if len(text) > _API_MESSAGE_MAX:
        text = text[:_API_MESSAGE_MAX] + "..."
    return text or type(cause).__name__


def api_message(body_bytes, mask=mask_basic_credentials):
    """The API's own words from an error body: a JSON error/message field, or its plain text.

    mask (a CredentialMask's mask) is applied to the whole body and again to the field taken from it,
    always before shortening, which could otherwise cut a credential down to an unrecognisable prefix.
    """
    text = mask(body_bytes.decode("utf-8", "replace")).strip()
    if not text:
        return "(empty body)"
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            if isinstance(data.get(key), str) and data[key].strip():
                text = data[key]
                break
    elif isinstance(data, str):
        text = data
    elif text[:1] == "<":
        return "an HTML page"
    text = _WHITESPACE.sub(" ", mask(text)).strip()
    if len(text) > _API_MESSAGE_MAX:
        text = text[:_API_MESSAGE_MAX] + "..."
    return text


def _json_kind(value):
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON list"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, bool):
        return "a JSON boolean"
    if value is None:
        return "JSON null"
    return "a JSON number"


class UpstashClient:
    """Talks to one API endpoint with one set of credentials."""

    def __init__(self, email=None, api_key=None, api_url=DEFAULT_API_URL, validate_certs=True, ca_path=None,
                 timeout=30.0, retries=3):
        if not HAS_REQUESTS:
            raise UpstashConfigError("The Python library requests is required by upstash.cloud but is not installed.")
        if not email:
            raise UpstashConfigError("No account e-mail given: set the email option or the UPSTASH_EMAIL environment variable.")
        if not api_key:
            raise UpstashConfigError("No API key given: set the api_key option or the UPSTASH_API_KEY environment variable.")
        self._mask = CredentialMask(email, api_key)
        withhold_transport_logs()
        self.base_url, self.host = self._parse_api_url(api_url or DEFAULT_API_URL)
        self.timeout = self._positive_number(timeout, "timeout")
        self.retries = self._retry_count(retries)
        # Who asks what of whom, for answer caches: the key itself is only kept as a digest.
        self.identity = (self.base_url, email, hashlib.sha256(api_key.encode("utf-8")).hexdigest(), repr(ca_path), bool(validate_certs))

        # Passed on every request: a session-wide verify loses to REQUESTS_CA_BUNDLE in requests.
        self._verify = bool(validate_certs) and (ca_path or True)
        self._auth = (email, api_key)
        self._session = self._new_session(_build_retry(self.retries), MAX_CONCURRENT_REQUESTS)
        self._mutation_sessions = {}

    def _new_session(self, retry, pool_size=1):
        """A requests session with the credentials, headers and this urllib3 retry policy."""
        session = requests.Session()
        session.auth = self._auth
        session.headers["User-Agent"] = USER_AGENT
        session.headers["Accept"] = "application/json"
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=pool_size)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _session_for(self, method):
        """GET shares one session; each mutation method has its own, because urllib3 retries by adapter."""
        if method == "GET":
            return self._session
        if method not in self._mutation_sessions:
            self._mutation_sessions[method] = self._new_session(_build_retry(self.retries, method))
        return self._mutation_sessions[method]

    @staticmethod
    def _parse_api_url(api_url):
        try:
            parts = urlsplit(api_url)
            port = parts.port
        except (ValueError, TypeError, AttributeError):
            parts, port = None, None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise UpstashConfigError(
                "Invalid api_url %r: it must be an http:// or https:// URL with a host name." % (api_url,)
            )
        if parts.username is not None or parts.password is not None:
            raise UpstashConfigError(
                "Invalid api_url: it must not contain credentials; use the email and api_key options instead."
            )
        host = parts.hostname if port is None else "%s:%s" % (parts.hostname, port)
        base_url = "%s://%s%s" % (parts.scheme, parts.netloc, parts.path.rstrip("/"))
        return base_url, host

    @staticmethod
    def _positive_number(value, name):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = 0.0
        if not number > 0:
            raise UpstashConfigError("Invalid %s %r: it must be a number of seconds greater than 0." % (name, value))
        return number

    @staticmethod
    def _retry_count(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise UpstashConfigError("Invalid retries %r: it must be a whole number of 0 or more." % (value,))
        return value

    def _scrub(self, text):
        """text with the credentials masked in every form; every text leaving the client goes through here."""
        return self._mask.mask(text)

    def _masked(self, data, text):
        """An answer's data with the credentials masked, should the API echo them in any form; text is its JSON."""
        return self._mask.mask_data(data) if self._mask.finds(text) else data

    def _error(self, cls, message, *args):
        return cls(self._scrub(message), *args)

    def _request(self, method, path, not_found, payload=None):
        """Send method base_url + path (payload as a JSON body) and return the raw body of a 2xx answer."""
        response, body = self._send(method, path, payload)
        if 200 <= response.status_code < 300:
            return body
        raise self._status_error(response, body, method, path, not_found)

    def _json_body(self, payload, method, path):
        try:
            return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise self._error(
                UpstashConfigError,
                "The body of %s %s cannot be sent as JSON: %s." % (method, path, _describe_cause(exc)),
            )

    def _send(self, method, path, payload=None):
        """The response to method base_url + path and its whole body, whatever its status."""
        url = self.base_url + path
        kwargs = dict(timeout=self.timeout, verify=self._verify, stream=True)
        if payload is not None:
            kwargs["data"] = self._json_body(payload, method, path)
            kwargs["headers"] = {"Content-Type": "application/json"}
        if method != "GET":
            # A redirected mutation would be re-sent by requests as a GET or sent twice; its 3xx is reported instead.
            kwargs["allow_redirects"] = False
        session = self._session_for(method)
        budget, failed = self.retries, 0
        while True:
            response = failure = body = None
            try:
                response = session.request(method, url, **kwargs)
                body = response.content
            except requests.exceptions.RequestException as exc:
                failure = exc
                if response is not None:
                    response.close()
            finally:
                if session is not self._session_for(method):
                    session.close()
            if failure is None or response is None or method != "GET":
                break
            # urllib3 retries only until the headers have arrived; an answer cut off after them (a server or proxy
            # dying mid-body) lands here. A GET is safe to repeat, so it is, out of the same budget: whatever
            # fails, never more than retries + 1 requests in all.
            if not isinstance(failure, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
                break
            spent = len(getattr(getattr(response.raw, "retries", None), "history", ())) + 1
            if spent > budget:
                break
            budget -= spent
            failed += spent
            # Other threads share self._session, so its adapter keeps its budget; a one-off session carries what is left.
            session = self._new_session(_build_retry(budget))
            time.sleep(min(BACKOFF_MAX, BACKOFF_FACTOR * 2 ** (failed - 1)) if failed > 1 else 0)

        if failure is not None:
            raise self._transport_error(failure, method, path)
        return response, body

    def _tries(self):
        return "%d %s" % (self.retries + 1, "try" if self.retries == 0 else "tries")

    def _transport_error(self, failure, method, path):
        """The one-sentence error for a request that got no usable answer."""
        request = "%s %s" % (method, path)
        chain = _cause_chain(failure)
        cause = _describe_cause(failure)
        not_sent = any(isinstance(exc, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError, socket.gaierror))
                       for exc in chain)
        if method == "GET" or not_sent:
            tries = self._tries()
        else:
            # urllib3 does not repeat a mutation once it may have been sent (see _MutationRetry).
            tries = "1 try, not repeated as the API may have acted on it"
        if isinstance(failure, requests.exceptions.SSLError):
            if any(isinstance(exc, ssl.SSLCertVerificationError) for exc in chain) or "CERTIFICATE_VERIFY_FAILED" in str(failure):
                message = ("TLS certificate verification failed for %s (%s); set ca_path to the CA bundle that signs it, "
                           "or validate_certs to false for a test endpoint." % (self.host, cause))
            else:
                message = "The TLS connection to %s failed (%s); check that api_url names an https endpoint." % (self.host, cause)
        elif isinstance(failure, requests.exceptions.ConnectTimeout):
            message = "Timed out connecting to %s after %g seconds (%s)." % (self.host, self.timeout, tries)
        elif isinstance(failure, requests.exceptions.ProxyError):
            # The proxy's address is not named: a proxy URL often carries a password.
            message = ("Could not reach %s through the proxy set by HTTPS_PROXY, HTTP_PROXY or ALL_PROXY for %s (%s): %s; "
                       "fix the proxy, or add the host to NO_PROXY." % (self.host, request, tries, cause))
        elif isinstance(failure, requests.exceptions.TooManyRedirects):
            message = "Too many redirects from %s for %s." % (self.host, request)
        elif not_sent:
            message = "Could not connect to %s for %s (%s): %s." % (self.host, request, tries, cause)
        # requests reports a read timeout that used up the retries as a ConnectionError, not a Timeout.
        elif any(isinstance(exc, (requests.exceptions.Timeout, ReadTimeoutError, socket.timeout, TimeoutError)) for exc in chain):
            message = "Timed out after %g seconds waiting for %s to answer %s (%s)." % (self.timeout, self.host, request, tries)
        elif isinstance(failure, requests.exceptions.ChunkedEncodingError):
            message = "The answer from %s to %s was cut off before its end (%s; %s)." % (self.host, request, cause, tries)
        elif isinstance(failure, requests.exceptions.ConnectionError):
            message = "The connection to %s was lost during %s (%s): %s." % (self.host, request, tries, cause)
        else:
            message = "%s at %s failed: %s." % (request, self.host, cause)
        return self._error(UpstashConnectionError, message)

    def _status_error(self, response, body, method, path, not_found):
        """The one-sentence error for an answer with an error status."""
        status = response.status_code
        request = "%s %s" % (method, path)
        # requests drops the credentials when it follows a redirect to another host; say who really answered.
        answered_by = self.host
        if response.history:
            try:
                final = urlsplit(response.url)
                answered_by = final.hostname if final.port is None else "%s:%s" % (final.hostname, final.port)
            except (TypeError, ValueError):
                answered_by = self.host
        where = self.host if answered_by == self.host else "%s (redirected from %s)" % (answered_by, self.host)
        said = api_message(body, self._scrub)
        if status in (401, 403) and answered_by != self.host:
            return self._error(
                UpstashHTTPError,
                "Authentication failed at %s (HTTP %d: %s) after %s redirected %s there; credentials are never sent "
                "to another host, so set api_url to that host if you trust it." % (answered_by, status, said, self.host, request),
                status,
            )
        if status in (401, 403):
            return self._error(
                UpstashHTTPError,
                "Authentication failed at %s (HTTP %d: %s); check the email and api_key options "
                "(or UPSTASH_EMAIL and UPSTASH_API_KEY)." % (self.host, status, said),
                status,
            )
        if status == 404 and not_found:
            return self._error(UpstashHTTPError, "%s was not found at %s (HTTP 404: %s)." % (not_found, where, said), status)
        retried = RETRY_STATUSES if method == "GET" else MUTATION_RETRY_STATUSES
        after = " after %s" % self._tries() if status in retried and self.retries else ""
        return self._error(
            UpstashHTTPError, "HTTP %d from %s for %s%s: %s." % (status, where, request, after, said), status
        )

    def _decode(self, body, request, expected):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise self._error(
                UpstashResponseError,
                "The answer from %s to %s is not valid UTF-8 text; expected %s." % (self.host, request, expected),
            )
        try:
            return self._masked(json.loads(text), text)
        except ValueError:
            stripped = text.lstrip()
            if stripped[:1] == "<":
                what = "an HTML page"
            elif not stripped:
                what = "an empty body"
            elif stripped[:1] in "[{":
                what = "truncated or malformed JSON"
            else:
                what = "text that is not JSON"
            raise self._error(
                UpstashResponseError,
                "The answer from %s to %s is %s; expected %s." % (self.host, request, what, expected),
            )

    def _wrong_shape(self, request, data, expected):
        return self._error(
            UpstashResponseError, "The answer from %s to %s is %s; expected %s." % (self.host, request, _json_kind(data), expected)
        )

    def _object(self, method, path, not_found, payload=None):
        """The JSON connector object the API answers to method path."""
        request = "%s %s" % (method, path)
        expected = "a JSON connector object"
        data = self._decode(self._request(method, path, not_found, payload), request, expected)
        if not isinstance(data, dict):
            raise self._wrong_shape(request, data, expected)
        return data

    def _get_object_list(self, path, not_found, item):
        request = "GET " + path
        expected = "a JSON list of %s objects" % item
        data = self._decode(self._request("GET", path, not_found), request, expected)
        if not isinstance(data, list):
            raise self._wrong_shape(request, data, expected)
        for index, entry in enumerate(data):
            if not isinstance(entry, dict):
                raise self._error(
                    UpstashResponseError,
                    "The answer from %s to %s is a JSON list whose item %d is %s; expected %s."
                    % (self.host, request, index, _json_kind(entry), expected),
                )
        return data

    def list_connectors(self, cluster_id):
        """Every connector of one Kafka cluster, in API order."""
        validate_id(cluster_id, "cluster_id")
        return self._get_object_list(
            "/v2/kafka/connectors/%s" % quote(cluster_id, safe=""), "Kafka cluster %r" % cluster_id, "connector"
        )

    def get_connector(self, connector_id):
        """One connector by its id."""
        validate_id(connector_id, "connector_id")
        return self._object("GET", _connector_path(connector_id), "Kafka connector %r" % connector_id)

    def list_clusters(self):
        """Every Kafka cluster of the account, in API order."""
        return self._get_object_list("/v2/kafka/clusters", None, "cluster")

    def create_connector(self, cluster_id, name, properties):
        """Create a connector in a Kafka cluster; the API answers with it (state pending)."""
        validate_id(cluster_id, "cluster_id")
        if not isinstance(name, str) or not name:
            raise UpstashConfigError("Invalid connector name: it must be a non-empty string.")
        _validate_properties(properties)
        body = {"name": name, "cluster_id": cluster_id, "properties": properties}
        return self._object("POST", "/v2/kafka/connector", None, body)

    def update_connector(self, connector_id, properties):
        """Change the given properties of a connector (the API keeps the others); the API answers with the connector."""
        validate_id(connector_id, "connector_id")
        _validate_properties(properties)
        path = "/v2/kafka/update-connector/%s" % quote(connector_id, safe="")
        return self._object("POST", path, "Kafka connector %r" % connector_id, properties)

    def _act(self, method, path, connector_id):
        # The API answers "OK"; a 2xx status is what says it was done, whatever the body.
        self._request(method, path, "Kafka connector %r" % connector_id)

    def delete_connector(self, connector_id):
        validate_id(connector_id, "connector_id")
        self._act("DELETE", _connector_path(connector_id), connector_id)

    def pause_connector(self, connector_id):
        validate_id(connector_id, "connector_id")
        self._act("POST", _connector_path(connector_id) + "/pause", connector_id)

    def start_connector(self, connector_id):
        validate_id(connector_id, "connector_id")
        self._act("POST", _connector_path(connector_id) + "/start", connector_id)

    def restart_connector(self, connector_id):
        validate_id(connector_id, "connector_id")
        self._act("POST", _connector_path(connector_id) + "/restart", connector_id)


def _connector_path(connector_id):
    return "/v2/kafka/connector/%s" % quote(connector_id, safe="")


def _validate_properties(properties):
    if not isinstance(properties, dict):
        raise UpstashConfigError(
            "Invalid properties: expected a mapping of property names to values, got a value of type %s."
            % _plain_type_name(properties)
        )


def client_from_options(options):
    """Build a client from a mapping holding the shared option names (module params or lookup options)."""
    return UpstashClient(**dict((name, options.get(name)) for name in API_OPTION_NAMES if options.get(name) is not None))
