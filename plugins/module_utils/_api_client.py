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

import contextlib
import gc
import hashlib
import json
import os
import re
import socket
import ssl
import traceback
import warnings
from urllib.parse import quote, urlsplit

from ansible_collections.upstash.cloud.plugins.module_utils._masking import (
    CredentialMask,
    mask_basic_credentials,
    withhold_transport_logs,
)

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from urllib3.exceptions import ConnectTimeoutError, InsecureRequestWarning, InvalidHeader, NewConnectionError, ReadTimeoutError
    from urllib3.util.retry import Retry

    from ansible_collections.upstash.cloud.plugins.module_utils._transport import (
        Call,
        Cancelled,
        DeadlineAdapter,
        TooLarge,
        current_call,
        read_limited,
        system_trust_store,
    )
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

# Bounds of the shared options: a retry count or timeout beyond them is a typo, not a plan.
RETRIES_MAX = 10
TIMEOUT_MAX = 3600.0
# The largest answer taken, decompressed, in MiB: 100,000 connectors of 5 KB each fit with room to spare.
DEFAULT_MAX_RESPONSE_MB = 512
# A connector nests a few levels (the list, the connector, its properties or tasks, a task); nothing
# real comes near this, and deeper data would break Python's and Ansible's own recursion.
MAX_JSON_DEPTH = 32

# Account-wide calls fetch this many clusters at once: 20 clusters cost a few round-trips,
# and the API is not flooded.
MAX_CONCURRENT_REQUESTS = 8

_ID_PATTERN = re.compile(r"\A[A-Za-z0-9_-]+\Z")
_WHITESPACE = re.compile(r"\s+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# The most characters a message repeats of any one value a user or a server gave.
QUOTE_MAX = 100
_API_MESSAGE_MAX = QUOTE_MAX
# What is read of an error answer: its first words are all a message shows.
_ERROR_BODY_MAX = 64 * 1024


def api_argument_spec():
    """The options every plugin of this collection shares, as an AnsibleModule argument spec."""
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


class UpstashCancelledError(UpstashError):
    """The call was cancelled (the task's own timeout ended it) before this request was answered."""


class UpstashUnexpectedError(UpstashError):
    """An error this collection did not foresee; traceback says where it happened."""

    def __init__(self, message, traceback_text):
        super().__init__(message)
        self.traceback = traceback_text


def shorten(text, limit=QUOTE_MAX):
    """text cut to limit characters, marked as cut; mask credentials before, never after."""
    return text if len(text) <= limit else text[:limit] + "..."


def quoted(value, scrub=None):
    """repr(value) as a message shows it: credentials masked by scrub, then at most QUOTE_MAX characters."""
    text = repr(value)
    return shorten(scrub(text) if scrub else text)


def _plain_type_name(value):
    # Templated values arrive as subclasses with internal names; name the type a user wrote.
    for plain in (bool, int, float, list, dict, bytes):
        if isinstance(value, plain):
            return plain.__name__
    return "null" if value is None else type(value).__name__


def validate_id(value, what, scrub=None):
    """Refuse anything but letters, digits, '-' and '_' so an id can never change the request path."""
    if not isinstance(value, str) or not _ID_PATTERN.match(value):
        shown = quoted(value, scrub) if isinstance(value, str) else "a value of type %s" % _plain_type_name(value)
        raise UpstashConfigError(
            "Invalid %s %s: it must be a non-empty string of letters, digits, '-' and '_'." % (what, shown)
        )
    return value


class _BoundedRetry(Retry):
    """urllib3 Retry whose Retry-After wait is capped, so the total wait stays bounded."""

    # urllib3 1.26 caps the backoff with a class attribute instead of the backoff_max argument; it was
    # renamed in 1.26.9.
    DEFAULT_BACKOFF_MAX = BACKOFF_MAX
    BACKOFF_MAX = BACKOFF_MAX

    def get_retry_after(self, response):
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:
            # A Retry-After that is neither seconds nor a date is the server's bug; plain backoff still applies.
            return None
        if seconds is None:
            return None
        return min(seconds, RETRY_AFTER_MAX)

    def sleep(self, response=None):
        call = current_call()
        if call is None:
            super().sleep(response)
            return
        # urllib3's own pause, but one a cancelled call does not sit out.
        wait = self.get_retry_after(response) if response is not None and self.respect_retry_after_header else None
        call.pause(wait or self.get_backoff_time())


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
            # As a traceback does: an exception raised "from None" hides what it was handling (urllib3
            # 1.26 re-raises a lost connection so, from inside its handler of a TypeError of its own).
            inner = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        current = inner
    return chain


def _root_cause(exc):
    """The innermost exception behind a requests/urllib3 wrapper chain."""
    return _cause_chain(exc)[-1]


def _describe_cause(exc, scrub=None):
    """The innermost cause of exc in a few plain words, credentials masked by scrub before shortening."""
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
    text = _WHITESPACE.sub(" ", scrub(text) if scrub else text).strip().rstrip(".")
    return shorten(text, _API_MESSAGE_MAX) or type(cause).__name__


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
                 timeout=30.0, retries=3, max_response_mb=DEFAULT_MAX_RESPONSE_MB):
        if not HAS_REQUESTS:
            raise UpstashConfigError("The Python library requests is required by upstash.cloud but is not installed.")
        if not email:
            raise UpstashConfigError("No account e-mail given: set the email option or the UPSTASH_EMAIL environment variable.")
        if not api_key:
            raise UpstashConfigError("No API key given: set the api_key option or the UPSTASH_API_KEY environment variable.")
        self._mask = CredentialMask(email, api_key)
        withhold_transport_logs()
        for name, value in (("email", email), ("api_key", api_key)):
            if not isinstance(value, str) or not _sendable_in_basic_auth(value):
                raise UpstashConfigError(
                    "Invalid %s: HTTP basic authentication carries only Latin-1 characters, and it has others "
                    "(check for a pasted quote, dash or space)." % name
                )
        self.base_url, self.host = self._parse_api_url(api_url or DEFAULT_API_URL)
        self.timeout = self._bounded_seconds(timeout, "timeout", TIMEOUT_MAX)
        self.retries = self._retry_count(retries)
        self.max_response_bytes = self._megabytes(max_response_mb) * 1024 * 1024
        # Who asks what of whom, for answer caches: the key itself is only kept as a digest.
        self.identity = (self.base_url, email, hashlib.sha256(api_key.encode("utf-8")).hexdigest(), repr(ca_path), bool(validate_certs))

        # Passed on every request: a session-wide verify loses to REQUESTS_CA_BUNDLE in requests.
        self._verify = self._trust(validate_certs, ca_path)
        self._auth = (email, api_key)
        self._call = Call(self.timeout)
        self._session = self._new_session(_build_retry(self.retries), MAX_CONCURRENT_REQUESTS)
        self._mutation_sessions = {}

    def _trust(self, validate_certs, ca_path):
        """requests' verify: False, the CA bundle file or directory given, or the system's trust store."""
        if not validate_certs:
            # Said once through Ansible's warnings (see the warnings property), not once per request on stderr.
            warnings.simplefilter("ignore", InsecureRequestWarning)
            return False
        if ca_path:
            if not isinstance(ca_path, str) or not os.path.exists(ca_path):
                # Named in full from where it was looked for; a long path keeps its end, where the file name is.
                shown = self._scrub(os.path.abspath(ca_path)) if isinstance(ca_path, str) else repr(ca_path)
                shown = shown if len(shown) <= QUOTE_MAX else "..." + shown[-QUOTE_MAX:]
                raise UpstashConfigError(
                    "Invalid ca_path %s: no such file or directory (a relative path is read from the playbook's directory)."
                    % shown
                )
            return ca_path
        if not self.base_url.startswith("https:"):
            return True
        # As ansible.builtin.uri: the platform's trust store, requests' own bundle only where there is none.
        return system_trust_store() or True

    def _new_session(self, retry, pool_size=1):
        """A requests session with the credentials, headers and this urllib3 retry policy."""
        session = requests.Session()
        session.auth = self._auth
        session.headers["User-Agent"] = USER_AGENT
        session.headers["Accept"] = "application/json"
        adapter = DeadlineAdapter(max_retries=retry, pool_maxsize=pool_size)
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

    def cancel(self):
        """End everything this client is doing, from any thread: no request is sent after this, and
        requests waiting for an answer are cut off. The client is of no further use."""
        self._call.cancel()

    @property
    def warnings(self):
        """One sentence per thing the user should know about this client's setup."""
        if self._verify is False and self.base_url.startswith("https:"):
            return ["TLS certificates of %s are not verified (validate_certs is false): use this only for a test endpoint "
                    "you control." % self.host]
        return []

    def _parse_api_url(self, api_url):
        try:
            parts = urlsplit(api_url)
            port = parts.port
        except (ValueError, TypeError, AttributeError):
            parts, port = None, None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise UpstashConfigError(
                "Invalid api_url %s: it must be an http:// or https:// URL with a host name." % quoted(api_url, self._scrub)
            )
        if parts.username is not None or parts.password is not None:
            raise UpstashConfigError(
                "Invalid api_url: it must not contain credentials; use the email and api_key options instead."
            )
        host = parts.hostname if port is None else "%s:%s" % (parts.hostname, port)
        base_url = "%s://%s%s" % (parts.scheme, parts.netloc, parts.path.rstrip("/"))
        return base_url, host

    def _bounded_seconds(self, value, name, most):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = 0.0
        if not 0 < number <= most:
            raise UpstashConfigError(
                "Invalid %s %s: it must be a number of seconds greater than 0 and at most %g." % (name, quoted(value, self._scrub), most)
            )
        return number

    @staticmethod
    def _retry_count(value):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= RETRIES_MAX:
            raise UpstashConfigError(
                "Invalid retries %s: it must be a whole number from 0 to %d." % (quoted(value), RETRIES_MAX)
            )
        return value

    @staticmethod
    def _megabytes(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UpstashConfigError("Invalid max_response_mb %s: it must be a whole number of MiB, 1 or more." % quoted(value))
        return value

    def _scrub(self, text):
        """text with the credentials masked in every form; every text leaving the client goes through here."""
        return self._mask.mask(text)

    def _masked(self, data, text):
        """An answer's data with the credentials masked, should the API echo them in any form; text is its JSON."""
        return self._mask.mask_data(data) if self._mask.finds(text) else data

    def _error(self, cls, message, *args):
        return cls(self._scrub(message), *args)

    def _validate_id(self, value, what):
        return validate_id(value, what, self._scrub)

    def _request(self, method, path, not_found, payload=None):
        """Send method base_url + path (payload as a JSON body) and return the raw body of a 2xx answer."""
        response, body = self._send(method, path, payload)
        if 200 <= response.status_code < 300:
            return body
        raise self._status_error(response, body, method, path, not_found)

    def _json_body(self, payload, method, path):
        try:
            return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            raise self._error(
                UpstashConfigError,
                "The body of %s %s cannot be sent as JSON: %s." % (method, path, _describe_cause(exc, self._scrub)),
            )

    def _send(self, method, path, payload=None):
        """The response to method base_url + path and its whole body, whatever its status."""
        with self._call.in_this_thread():
            return self._send_in_call(method, path, payload)

    def _cancelled(self, method, path):
        return self._error(UpstashCancelledError, "The call was cancelled before %s answered %s %s." % (self.host, method, path))

    def _send_in_call(self, method, path, payload):
        if self._call.cancelled:
            raise self._cancelled(method, path)
        url = self.base_url + path
        kwargs = dict(timeout=self.timeout, verify=self._verify, stream=True)
        if payload is not None:
            kwargs["data"] = self._json_body(payload, method, path)
            kwargs["headers"] = {"Content-Type": "application/json"}
        if method != "GET":
            # A redirected mutation would be re-sent by requests as a GET or sent twice; its 3xx is reported instead.
            kwargs["allow_redirects"] = False
        # The last answer seen, redirects included: a failure after a redirect is the redirect's.
        seen = []

        def remember(response, **_settings):
            seen.append(response)

        kwargs["hooks"] = {"response": remember}
        session = self._session_for(method)
        budget, failed = self.retries, 0
        while True:
            response = failure = body = None
            try:
                response = session.request(method, url, **kwargs)
                if 200 <= response.status_code < 300:
                    body = read_limited(response, self.max_response_bytes)
                else:
                    body = read_limited(response, _ERROR_BODY_MAX, cut=True)
            except TooLarge:
                raise self._error(
                    UpstashResponseError,
                    "The answer from %s to %s %s is larger than %d MiB (max_response_mb); raise max_response_mb if "
                    "it is expected." % (self.host, method, path, self.max_response_bytes // (1024 * 1024)),
                )
            except Cancelled:
                raise self._cancelled(method, path)
            except requests.exceptions.RequestException as exc:
                failure = exc
                if response is not None:
                    response.close()
            except (ValueError, OSError, UnicodeError) as exc:
                # requests' own slips: a redirect to a malformed address, a certificate bundle it cannot read.
                raise self._unusable_request(exc, method, path, seen)
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
            try:
                self._call.pause(min(BACKOFF_MAX, BACKOFF_FACTOR * 2 ** (failed - 1)) if failed > 1 else 0)
            except Cancelled:
                session.close()
                raise self._cancelled(method, path)

        if failure is not None:
            raise self._transport_error(failure, method, path)
        return response, body

    def _unusable_request(self, exc, method, path, seen):
        cause = _describe_cause(exc, self._scrub)
        if seen and seen[-1].is_redirect:
            location = quoted(seen[-1].headers.get("Location", ""), self._scrub)
            return self._error(
                UpstashConnectionError,
                "%s redirected %s %s to an address that cannot be used (%s): %s." % (self.host, method, path, location, cause),
            )
        return self._error(UpstashConnectionError, "%s %s at %s could not be sent: %s." % (method, path, self.host, cause))

    def _tries(self):
        return "%d %s" % (self.retries + 1, "try" if self.retries == 0 else "tries")

    def _transport_error(self, failure, method, path):
        """The one-sentence error for a request that got no usable answer."""
        request = "%s %s" % (method, path)
        chain = _cause_chain(failure)
        cause = _describe_cause(failure, self._scrub)
        host = self._host_that_failed(failure)
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
                           "or validate_certs to false for a test endpoint." % (host, cause))
            else:
                message = "The TLS connection to %s failed (%s); check that api_url names an https endpoint." % (host, cause)
        elif isinstance(failure, requests.exceptions.ConnectTimeout):
            message = "Timed out connecting to %s after %g seconds (%s)." % (host, self.timeout, tries)
        elif isinstance(failure, requests.exceptions.ProxyError):
            # The proxy's address is not named: a proxy URL often carries a password.
            message = ("Could not reach %s through the proxy set by HTTPS_PROXY, HTTP_PROXY or ALL_PROXY for %s (%s): %s; "
                       "fix the proxy, or add the host to NO_PROXY." % (host, request, tries, cause))
        elif isinstance(failure, requests.exceptions.TooManyRedirects):
            message = "Too many redirects from %s for %s." % (host, request)
        elif not_sent:
            message = "Could not connect to %s for %s (%s): %s." % (host, request, tries, cause)
        # requests reports a read timeout that used up the retries as a ConnectionError, not a Timeout.
        elif any(isinstance(exc, (requests.exceptions.Timeout, ReadTimeoutError, socket.timeout, TimeoutError)) for exc in chain):
            message = "Timed out after %g seconds waiting for %s to answer %s (%s)." % (self.timeout, host, request, tries)
        elif isinstance(failure, requests.exceptions.ChunkedEncodingError):
            message = "The answer from %s to %s was cut off before its end (%s; %s)." % (host, request, cause, tries)
        elif isinstance(failure, requests.exceptions.ConnectionError):
            message = "The connection to %s was lost during %s (%s): %s." % (host, request, tries, cause)
        else:
            message = "%s at %s failed: %s." % (request, host, cause)
        return self._error(UpstashConnectionError, message)

    def _host_that_failed(self, failure):
        """The host a transport failure happened at: after a redirect, not the one api_url names."""
        try:
            parts = urlsplit(failure.request.url)
            failed = parts.hostname if parts.port is None else "%s:%s" % (parts.hostname, parts.port)
        except (AttributeError, TypeError, ValueError):
            return self.host
        return self.host if not failed or failed == self.host else "%s (redirected from %s)" % (failed, self.host)

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
        # Bytes that are not UTF-8 become U+FFFD here, as lone surrogates do below: a module process could not
        # return them, and the worker process must give the same answer.
        text = body.decode("utf-8", "replace")
        try:
            data = json.loads(text)
        except RecursionError:
            raise self._too_deep(request)
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
        if _nested_deeper_than(data, MAX_JSON_DEPTH):
            raise self._too_deep(request)
        if "\\ud" in text or "\\uD" in text:
            data = _without_lone_surrogates(data)
        return self._masked(data, text)

    def _too_deep(self, request):
        return self._error(
            UpstashResponseError,
            "The answer from %s to %s is nested deeper than %d levels, which no real answer is." % (self.host, request, MAX_JSON_DEPTH),
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
        self._validate_id(cluster_id, "cluster_id")
        return self._get_object_list(
            "/v2/kafka/connectors/%s" % quote(cluster_id, safe=""), "Kafka cluster %s" % quoted(cluster_id, self._scrub), "connector"
        )

    def get_connector(self, connector_id):
        """One connector by its id."""
        self._validate_id(connector_id, "connector_id")
        return self._object("GET", _connector_path(connector_id), self._connector_named(connector_id))

    def list_clusters(self):
        """Every Kafka cluster of the account, in API order."""
        return self._get_object_list("/v2/kafka/clusters", None, "cluster")

    def create_connector(self, cluster_id, name, properties):
        """Create a connector in a Kafka cluster; the API answers with it (state pending)."""
        self._validate_id(cluster_id, "cluster_id")
        if not isinstance(name, str) or not name:
            raise UpstashConfigError("Invalid connector name: it must be a non-empty string.")
        _validate_properties(properties)
        body = {"name": name, "cluster_id": cluster_id, "properties": properties}
        return self._object("POST", "/v2/kafka/connector", None, body)

    def update_connector(self, connector_id, properties):
        """Change the given properties of a connector (the API keeps the others); the API answers with the connector."""
        self._validate_id(connector_id, "connector_id")
        _validate_properties(properties)
        path = "/v2/kafka/update-connector/%s" % quote(connector_id, safe="")
        return self._object("POST", path, self._connector_named(connector_id), properties)

    def _connector_named(self, connector_id):
        return "Kafka connector %s" % quoted(connector_id, self._scrub)

    def _act(self, method, path, connector_id):
        # The API answers "OK"; a 2xx status is what says it was done, whatever the body.
        self._request(method, path, self._connector_named(connector_id))

    def delete_connector(self, connector_id):
        self._validate_id(connector_id, "connector_id")
        self._act("DELETE", _connector_path(connector_id), connector_id)

    def pause_connector(self, connector_id):
        self._validate_id(connector_id, "connector_id")
        self._act("POST", _connector_path(connector_id) + "/pause", connector_id)

    def start_connector(self, connector_id):
        self._validate_id(connector_id, "connector_id")
        self._act("POST", _connector_path(connector_id) + "/start", connector_id)

    def restart_connector(self, connector_id):
        self._validate_id(connector_id, "connector_id")
        self._act("POST", _connector_path(connector_id) + "/restart", connector_id)


def _nested_deeper_than(data, limit):
    """Whether JSON data nests containers more than limit levels deep; walked level by level, no recursion."""
    level, depth = [data], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        deeper = []
        for value in level:
            # json.loads makes exact types, and an exact check is the faster one.
            if type(value) is dict:  # pylint: disable=unidiomatic-typecheck
                value = value.values()
            elif type(value) is not list:  # pylint: disable=unidiomatic-typecheck
                continue
            deeper.extend([item for item in value if type(item) in _CONTAINERS])
        level = deeper
    return False


_CONTAINERS = (dict, list)


def _without_lone_surrogates(value):
    """value with every lone surrogate (an escape like \\ud800 with no pair) in its strings made U+FFFD."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return dict((_without_lone_surrogates(key), _without_lone_surrogates(item)) for key, item in value.items())
    return value


def _sendable_in_basic_auth(text):
    # requests encodes the user name and password of basic auth as Latin-1.
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


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


def api_call(options, read, warn):
    """read(client), with a client built from options, as every plugin of this collection runs it.

    Python warnings raised meanwhile (by urllib3, say) reach warn(sentence) once each, with the
    client's own, instead of stderr. Anything raised other than an UpstashError becomes an
    UpstashUnexpectedError, so that every failure reaches the user as one sentence; exceptions that
    are not errors (the task's timeout, an interrupt) pass through untouched.
    """
    client = None
    with warnings.catch_warnings(record=True) as caught, _cycle_collection_paused():
        warnings.simplefilter("always")
        try:
            client = client_from_options(options)
            return read(client)
        except UpstashError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            scrub = client._scrub if client is not None else _credential_scrub(options)  # pylint: disable=protected-access
            raise UpstashUnexpectedError(
                "Unexpected internal error in upstash.cloud (%s: %s); this is a bug, please report it with the "
                "traceback that -vvv shows." % (type(exc).__name__, _describe_cause(exc, scrub)),
                traceback.format_exc(),
            )
        finally:
            for sentence in _warning_sentences(client, caught):
                warn(sentence)


@contextlib.contextmanager
def _cycle_collection_paused():
    """Python's cycle collector paused for a call: a big answer becomes hundreds of thousands of
    containers, none of them in a cycle, and each full collection meanwhile would walk every object
    of the process again (in the worker process, all of Ansible's)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _credential_scrub(options):
    email, api_key = options.get("email"), options.get("api_key")
    if isinstance(email, str) and isinstance(api_key, str) and api_key:
        return CredentialMask(email, api_key).mask
    return None


def _warning_sentences(client, caught):
    sentences = list(client.warnings) if client is not None else []
    scrub = client._scrub if client is not None else None  # pylint: disable=protected-access
    for warning in caught:
        text = _WHITESPACE.sub(" ", str(warning.message)).strip()
        sentence = "%s: %s" % (warning.category.__name__, shorten(scrub(text) if scrub else text, _API_MESSAGE_MAX))
        if sentence not in sentences:
            sentences.append(sentence)
    return sentences
