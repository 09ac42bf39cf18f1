# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every failure as one sentence: the error type, and the sentences for an error status and for a
request that got no usable answer. A sentence names the request as sent, the host, the HTTP status and
the server's own words, quotes at most QUOTE_MAX characters of any value, and withholds whole any words
that hold the credential in any form.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
from urllib.parse import urlsplit

from ansible_collections.upstash.cloud.plugins.module_utils._secrets import mask_text
from ansible_collections.upstash.cloud.plugins.module_utils._transport import GET_RETRY_STATUSES, MUTATION_RETRY_STATUSES, causes

try:
    import requests
except ImportError:
    requests = None

# The most characters a message repeats of any one value a user or a server gave.
QUOTE_MAX = 100
_SPACES = re.compile(r"\s+")
# urllib3's "<HTTPConnection object at 0x..>:" and "HTTPSConnectionPool(host=..., port=443):" say nothing.
_LIBRARY_NOISE = re.compile(r"<[^>]*object at 0x[0-9a-fA-F]+>:?\s*|\bHTTPS?Connection(?:Pool)?\([^)]*\):?\s*|\[Errno -?\d+\]\s*")


class UpstashError(Exception):
    """A failure worth one sentence to the user: str() is that sentence. status: the HTTP status of the
    answer it is about, if any (a 2xx one when the API acted but its answer was not what was expected);
    result: more for a module's result; traceback: for -vvv."""

    def __init__(self, message, status=None, result=None, traceback_text=None):
        super().__init__(message)
        self.status = status
        self.result = result or {}
        self.traceback = traceback_text


class NotFound(UpstashError):
    """A 404 from an endpoint that has shown it is the API: the id does not exist (any more)."""


def shorten(text):
    return text if len(text) <= QUOTE_MAX else text[:QUOTE_MAX] + "..."


def quoted(value):
    """repr(value) as a message shows it: at most QUOTE_MAX characters."""
    return shorten(repr(value))


def plain_type(value):
    # Templated values arrive as subclasses with internal names; name the type a user wrote.
    for kind in (bool, int, float, list, dict, str):
        if isinstance(value, kind):
            return kind.__name__
    return "null" if value is None else type(value).__name__


def words(text, credential, whose="the message"):
    """A server's or a library's words as a message quotes them: secrets masked, cut short, and withheld
    whole when they hold the credential in any form."""
    if credential is not None and credential.finds(text):
        return "%s is withheld: it repeats a credential" % whose
    return shorten(_SPACES.sub(" ", mask_text(text)).strip())


def status_failure(client, response, raw, request, missing):
    """The error for an answer with an error status; a 404 is NotFound only from an endpoint shown to be the API."""
    status = response.status_code
    said = _api_words(client, raw)
    answered_by = client.host
    if response.history:
        final = urlsplit(response.url)
        answered_by = final.hostname if final.port is None else "%s:%s" % (final.hostname, final.port)
    where = client.host if answered_by == client.host else "%s (redirected from %s)" % (answered_by, client.host)
    if status in (401, 403):
        if answered_by != client.host:
            return UpstashError("Authentication failed at %s (HTTP %d for %s: %s); credentials are never sent to "
                                "another host, so set api_url to that host if you trust it." % (where, status, request, said), status)
        return UpstashError("Authentication failed at %s (HTTP %d for %s: %s); check the email and api_key options "
                            "(or UPSTASH_EMAIL and UPSTASH_API_KEY)." % (where, status, request, said), status)
    if status == 404 and missing:
        if not client.api_shown:
            client.list_clusters()  # fails with its own sentence when api_url does not lead to the API
        return NotFound("%s was not found at %s (HTTP 404 for %s: %s)." % (missing, where, request, said), status)
    hint = ""
    if status == 404:
        hint = "; check that api_url is the API's base URL (https://api.upstash.com, with no /v2)"
    elif 300 <= status < 400:
        hint = "; a change is never sent on to another address"
    retried = GET_RETRY_STATUSES if request.startswith("GET ") else MUTATION_RETRY_STATUSES
    after = " after %d tries" % (client.retries + 1) if status in retried and client.retries else ""
    return UpstashError("HTTP %d from %s for %s%s: %s%s." % (status, where, request, after, said, hint), status)


def _api_words(client, raw):
    """The API's own words from an error body: a JSON error/message/detail field, or its plain text."""
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return "(empty body)"
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        text = next((data[key] for key in ("error", "message", "detail") if isinstance(data.get(key), str) and data[key].strip()), text)
    elif isinstance(data, str):
        text = data
    elif text[:1] == "<":
        return "an HTML page"
    return words(text, client.credential, "the API's message")


def transport_failure(client, exc, method, request):
    """The sentence for a request that got no usable answer."""
    chain = causes(exc)
    names = set(type(cause).__name__ for cause in chain)
    cause = chain[-1]
    partial, expected = getattr(cause, "partial", None), getattr(cause, "expected", None)
    if isinstance(partial, (bytes, int)) and isinstance(expected, int):
        said = "%d bytes received, %d more expected" % (len(partial) if isinstance(partial, bytes) else partial, expected)
    else:
        said = words(_LIBRARY_NOISE.sub("", getattr(cause, "strerror", None) or str(cause)) or type(cause).__name__, client.credential).rstrip(".")
    not_sent = names & {"NewConnectionError", "ConnectTimeoutError", "ConnectionRefusedError", "gaierror", "NameResolutionError"}
    tries = "%d %s" % (client.retries + 1, "try" if client.retries == 0 else "tries")
    if method != "GET" and not not_sent:
        tries = "1 try, not repeated as the API may have acted on it"
    host = client.host
    if "gaierror" in names:
        return "The host name of %s does not resolve (%s): check api_url." % (host, said)
    if isinstance(exc, requests.exceptions.SSLError):
        if any(isinstance(c, ssl.SSLCertVerificationError) for c in chain) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
            return ("TLS certificate verification failed for %s (%s); set ca_path to the CA bundle that signs it, or "
                    "validate_certs to false for a test endpoint." % (host, said))
        return "The TLS connection to %s failed (%s); if that port serves plain HTTP, api_url must start with http://." % (host, said)
    if isinstance(exc, requests.exceptions.ProxyError):
        # The proxy's address is not named: a proxy URL often carries a password.
        return ("Could not reach %s through the proxy set by HTTPS_PROXY, HTTP_PROXY or ALL_PROXY for %s (%s): %s; fix the "
                "proxy, or add the host to NO_PROXY." % (host, request, tries, said))
    if "ConnectionRefusedError" in names:
        return ("Nothing accepts connections at %s (%s, %s): is the API, or the emulator, listening at that host and "
                "port? The emulator prints its URL when it starts." % (host, said, tries))
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "Too many redirects from %s for %s." % (host, request)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "Timed out connecting to %s after %g seconds (%s)." % (host, client.timeout, tries)
    if not_sent:
        return "Could not connect to %s for %s (%s): %s." % (host, request, tries, said)
    if names & {"ReadTimeout", "ReadTimeoutError", "timeout", "TimeoutError"}:
        return "Timed out after %g seconds waiting for %s to answer %s (%s)." % (client.timeout, host, request, tries)
    if "IncompleteRead" in names:
        return "The answer from %s to %s was cut off before its end (%s; %s)." % (host, request, said, tries)
    if names & {"BadStatusLine", "RemoteDisconnected", "ConnectionResetError"} and _speaks_tls(client):
        return ("The connection to %s was lost during %s (%s): %s; if that port serves TLS, api_url must start with "
                "https://." % (host, request, tries, said))
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "The connection to %s was lost during %s (%s): %s." % (host, request, tries, said)
    return "%s at %s could not be sent or answered: %s." % (request, host, said)


def _speaks_tls(client):
    """Whether the port of an http:// api_url completes a TLS handshake: then the scheme is wrong, and
    the message can say so instead of guessing. Nothing but a handshake is sent."""
    parts = urlsplit(client.base_url)
    if parts.scheme != "http":
        return False
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=min(client.timeout, 2.0)) as sock:
            context.wrap_socket(sock, server_hostname=parts.hostname).close()
    except (OSError, ValueError):
        return False
    return True
