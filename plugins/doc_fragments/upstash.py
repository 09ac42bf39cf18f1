# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The options every plugin of this collection shares. Keep in step with
    # plugins/module_utils/_api.py:api_argument_spec(). Their redact option is documented
    # by CONNECTOR_REDACTION or CLUSTER_REDACTION, for what each plugin returns.
    DOCUMENTATION = r"""
options:
  email:
    description:
      - E-mail address of the Upstash account, used as the HTTP basic auth user name.
      - Required. If not set, the value of the E(UPSTASH_EMAIL) environment variable is used.
    type: str
  api_key:
    description:
      - API key of the Upstash account, used as the HTTP basic auth password.
      - Required. If not set, the value of the E(UPSTASH_API_KEY) environment variable is used.
      - It never appears in results, warnings or error messages (from ansible-core 2.22, in a result's
        C(invocation) it is masked where Ansible shows the result, as every module's secret options are).
    type: str
  api_url:
    description:
      - Base URL of the Upstash Developer API.
      - Point it at any endpoint that speaks the same API, for example the emulator shipped in
        this collection's C(emulator/) directory.
      - The API's paths (C(/v2/...)) are appended to it. A path of its own is kept as a prefix (for a proxy),
        so it must not end in C(/v2); every message names the path as it was requested.
      - If not set, the value of the E(UPSTASH_API_URL) environment variable is used, then the default.
    type: str
    default: https://api.upstash.com
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
      - Only set to V(false) for test endpoints you control.
      - If not set, the value of the E(UPSTASH_VALIDATE_CERTS) environment variable is used, then the default.
    type: bool
    default: true
  ca_path:
    description:
      - Path of a PEM CA bundle file, or of a directory of hashed CA certificates (as C(c_rehash) makes),
        that the server certificate must chain to.
      - Without it the platform's trust store is used, as M(ansible.builtin.uri) does, that is OpenSSL's
        default paths, which honour the E(SSL_CERT_FILE) and E(SSL_CERT_DIR) environment variables.
        Only a system without any trust store falls back to the CA bundle that comes with C(requests).
      - A relative path is read from the playbook's directory.
      - If not set, the value of the E(UPSTASH_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds each request attempt may take as a whole, connecting, sending and reading the whole
        answer included. A server that answers too slowly, however steadily, is cut off then.
      - At most V(3600). A retry is a new attempt with its own time.
      - The task keyword C(timeout) ends the whole call, retries and account-wide requests included;
        no request is sent after it.
    type: float
    default: 30
  retries:
    description:
      - How many times to retry a request that got HTTP 429 or 5xx, a connection error or a read timeout.
      - From V(0) to V(10).
      - Retries back off exponentially and honour a C(Retry-After) header (waiting at most 60 seconds).
      - A request that changes something (C(POST), C(DELETE)) is retried only when it was certainly
        not processed, that is when the connection failed before it was sent or the API answered 429 or 503.
      - V(0) means exactly one try.
      - A host name that does not resolve is not retried; the task fails at once, pointing at O(api_url).
    type: int
    default: 3
  max_response_mb:
    description:
      - The largest answer accepted, in MiB, counted after decompression. A larger answer fails the
        task instead of filling the controller's memory.
      - The default holds more than 100,000 connectors; raise it for larger clusters.
      - If not set, the value of the E(UPSTASH_MAX_RESPONSE_MB) environment variable is used, then the default.
    type: int
    default: 512
requirements:
  - requests >= 2.25.1
  - urllib3 >= 1.26.5
notes:
  - Upstash discontinued its Kafka service on 2025-03-11. Use O(api_url) to talk to any endpoint
    that still speaks the Upstash Developer API v2, such as the bundled emulator.
"""

    # Extra configuration sources only non-module plugins (the lookup) can read.
    PLUGINS = r"""
options:
  email:
    env:
      - name: UPSTASH_EMAIL
    vars:
      - name: upstash_email
    ini:
      - section: upstash_cloud
        key: email
  api_key:
    env:
      - name: UPSTASH_API_KEY
    vars:
      - name: upstash_api_key
  api_url:
    env:
      - name: UPSTASH_API_URL
    vars:
      - name: upstash_api_url
    ini:
      - section: upstash_cloud
        key: api_url
  validate_certs:
    env:
      - name: UPSTASH_VALIDATE_CERTS
    ini:
      - section: upstash_cloud
        key: validate_certs
  ca_path:
    env:
      - name: UPSTASH_CA_PATH
    ini:
      - section: upstash_cloud
        key: ca_path
  timeout:
    ini:
      - section: upstash_cloud
        key: timeout
  retries:
    ini:
      - section: upstash_cloud
        key: retries
  max_response_mb:
    env:
      - name: UPSTASH_MAX_RESPONSE_MB
    ini:
      - section: upstash_cloud
        key: max_response_mb
  redact:
    ini:
      - section: upstash_cloud
        key: redact
notes:
  - In C(ansible.cfg), the section C([upstash_cloud]) sets this lookup's options for every run (a relative
    C(ca_path) there is read from the directory of C(ansible.cfg)). The API key is not read from it, so that
    it is never committed with a project's configuration; use a variable, a vault or E(UPSTASH_API_KEY).
"""

    # Every module runs in the worker process on a local connection and belongs to the action group.
    # The attributes' general descriptions come from ansible.builtin.action_common_attributes (and
    # its flow and actiongroups fragments), which each module extends after this one: of two
    # fragments setting the same key, the one listed first wins.
    MODULE = r"""
attributes:
  action:
    support: full
    details:
      - On a C(local) connection, without C(become) or C(async), the module runs inside the Ansible
        worker process on the controller, with the controller's Python and C(requests), instead of
        starting a module process. C(ansible_python_interpreter) is then not used.
      - The answer, the failures, the warnings and the masking are the same either way; the task's
        C(environment) applies to both (credentials, proxies), and both run in the playbook's
        directory, so a relative O(ca_path) is found the same way.
      - What still differs is the Python interpreter (the controller's, not C(ansible_python_interpreter)),
        and that no invocation is logged to the target's syslog, as a module process does.
      - Set the variable C(upstash_module_process) to V(true) (for a host, a play or a task) to run a
        module process on a local connection too.
      - On any other connection the module runs on the target host as usual.
  async:
    support: full
    details:
      - With C(async) the module runs as a module process, as any module does.
  bypass_host_loop:
    support: none
  platform:
    platforms: posix
  action_group:
    support: full
    membership:
      - upstash.cloud.upstash
    details:
      - Use C(group/upstash.cloud.upstash) in C(module_defaults) to set credentials once.
"""

    # Every info module reads only; listed before MODULE.
    INFO_MODULE = r"""
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - The module changes nothing, so there is nothing to show a diff of.
"""

    # What to list, shared by the connector module and the connector lookup.
    CONNECTOR_QUERY = r"""
options:
  cluster_name:
    description:
      - Name of the Kafka cluster whose connectors are listed, resolved through the account's
        cluster list (C(GET /v2/kafka/clusters)).
      - Fails if no cluster or more than one cluster has this name.
      - Mutually exclusive with cluster ids.
    type: str
  name:
    description:
      - Only return connectors with exactly this name.
      - A filter that matches nothing returns an empty list, not a failure.
    type: str
  connector_id:
    description:
      - Only return the connector with this id.
      - Without a cluster id or O(cluster_name), the connector is fetched directly
        (C(GET /v2/kafka/connector/{connector_id})) and a missing connector is a failure.
      - Must be made only of letters, digits, C(-) and C(_); anything else is refused before any request.
    type: str
  states:
    description:
      - Only return connectors whose C(state) is one of these, in any case, for example V([failed]).
      - Combines with the other filters, O(fields) and calls that cover the whole account.
      - A value that is neither a state the API is known to use (V(running), V(paused), V(failed), V(pending) and
        the transitional ones) nor the state of a connector the call covered fails the task, naming it and the
        known states, so that a check can never pass on a misspelt state. A known state that matches nothing
        returns an empty list.
      - Returning only the connectors a check is about keeps the result small; see O(fields).
    type: list
    elements: str
  fields:
    description:
      - Only return these keys of each connector (those it has), for example V([name, state]).
      - Moving large results between processes is what costs time in Ansible, so returning less
        makes big clusters fast. AWX and Automation Platform also drop a task result larger than about
        700,000 characters (about 1,000 full connectors) from their job events; O(states), O(fields) and
        the module's C(summary) keep results well below that.
      - Redaction still applies to what is returned.
      - A name that is neither a documented connector field nor a key of a connector the call covered fails
        the task, naming it and the documented fields.
    type: list
    elements: str
"""

    # The redact option of the plugins that return connectors.
    CONNECTOR_REDACTION = r"""
options:
  redact:
    description:
      - Mask secrets in the returned connectors with C(********), in every string of a connector
        (C(properties), C(state_error_message), C(tasks[].trace), nested values and fields not documented yet).
      - The value of a key that names a secret is masked whole, whatever it is. Such a key contains
        C(password), C(passwd), C(passphrase), C(secret), C(token), C(credential), C(apikey), C(privatekey),
        C(jaas), C(authorization) or C(keyfile), or has the word C(pwd) or C(pass), or the words C(api key),
        C(private key), C(keystore key), C(access key), C(account key) or C(encryption key) (any case, separated by
        C(.), C(_), C(-) or in camelCase). Ordinary keys such as C(kafka.auth.mode), C(key.converter) or
        C(passive) are left alone. This masks a top-level C(user_password).
      - Inside any string, only the secret part is masked. A URL's password
        (C(mongodb+srv://appuser:********@cluster0.example.net/db), also when it holds a raw C(/) or C(#)), the
        password of an Oracle JDBC C(user/password@host), the value of a secret-named parameter in a query
        string (URL-encoded too), a C(;key=value) connection string, a header, a Java map, a C(key:value) pair
        or a JAAS line (C(?user=u&password=********)), an C(Authorization)-style credential
        (C(Bearer ********), C(Basic ********)), the body of a PEM private key block, and the secret members
        of JSON held in a string (a service-account key file's C(private_key)).
      - Keys are never removed. V(false) returns the values exactly as the API sent them.
    type: bool
    default: true
"""

    # The redact option of the cluster module.
    CLUSTER_REDACTION = r"""
options:
  redact:
    description:
      - Mask secrets in the returned clusters with C(********), each cluster's C(password) and, in
        every other string of a cluster, the secrets that
        O(upstash.cloud.upstash_kafka_connector_info#module:redact) masks in a connector (the value of a
        key that names a secret, a URL's password, an C(Authorization)-style credential, a PEM private key).
      - Keys are never removed. V(false) returns the values exactly as the API sent them.
    type: bool
    default: true
"""
