# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.upstash.cloud.plugins.module_utils._lifecycle import CONNECTOR
from ansible_collections.upstash.cloud.plugins.plugin_utils._module_action import ModuleAction


class ActionModule(ModuleAction):
    MODULE = CONNECTOR
