# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A task result as ansible-core shows it, on every supported ansible-core.

Before 2.22 a module masks its no_log values in the result itself. From 2.22 the result keeps them and
ansible-core masks every registered secret in the text it shows; a test of what users see compares that.
"""

from __future__ import annotations

import json

try:
    from ansible.module_utils.secrets import mask_secrets
except ImportError:  # ansible-core < 2.22
    mask_secrets = None

# What stands for the value of a no_log option in a shown result.
NO_LOG_MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" if mask_secrets is None else "$REDACTED$"
# How a secret the collection hides (besides no_log options) reads where the result is shown.
HIDDEN_MASK = "********" if mask_secrets is None else "$REDACTED$"


def as_shown(result):
    if mask_secrets is None:
        return result
    return json.loads(mask_secrets(json.dumps(result, ensure_ascii=False)))
