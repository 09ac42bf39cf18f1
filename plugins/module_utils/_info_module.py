# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The body every info module of this collection shares: options in, one read, facts or one message out."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.upstash.cloud.plugins.module_utils._api_client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    UpstashError,
    api_argument_spec,
    client_from_options,
)


def run_info_module(argument_spec, result_key, read, **module_options):
    """Exit with changed=false and result_key=read(client, params), or fail with the error's sentence.

    argument_spec holds the module's own options; the shared API options are added here.
    """
    spec = api_argument_spec()
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_options)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    try:
        result = read(client_from_options(module.params), module.params)
    except UpstashError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **{result_key: result})
