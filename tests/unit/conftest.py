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


def _install_patch_module_args_backport():
    """ansible-core < 2.19 has no ansible.module_utils.testing; give the module tests the same helper
    so they run unchanged on the oldest ansible-core in meta/runtime.yml (make test-matrix)."""
    import contextlib
    import json
    import types
    from unittest import mock

    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        if not isinstance(args, (dict, type(None))):
            raise TypeError("The `args` arg must be a dict or None.")
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps(dict(ANSIBLE_MODULE_ARGS=args or {})).encode()):
            yield

    backport = types.ModuleType("ansible.module_utils.testing")
    backport.patch_module_args = patch_module_args
    sys.modules[backport.__name__] = backport


try:
    import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import
except ImportError:
    _install_patch_module_args_backport()
