# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Make `ansible_collections.upstash.cloud` importable when pytest runs straight from a checkout."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collections_path():
    parent = os.path.dirname
    if parent(COLLECTION_ROOT).endswith(os.path.join("ansible_collections", "upstash")):
        return parent(parent(parent(COLLECTION_ROOT)))
    # A checkout is not laid out as ansible_collections/upstash/cloud: link it into one.
    base = tempfile.mkdtemp(prefix="upstash-collections-")
    atexit.register(shutil.rmtree, base, True)
    os.makedirs(os.path.join(base, "ansible_collections", "upstash"))
    os.symlink(COLLECTION_ROOT, os.path.join(base, "ansible_collections", "upstash", "cloud"))
    return base


if not any(isinstance(hook, _AnsibleCollectionFinder) for hook in sys.meta_path):
    _AnsibleCollectionFinder(paths=[_collections_path()])._install()  # pylint: disable=protected-access
