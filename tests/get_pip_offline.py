# -*- coding: utf-8 -*-
# Copyright (c) upstash.cloud contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test creates its managed virtual environments with ``python -m venv --without-pip``
and then bootstraps pip with a get-pip.py script fetched from
``https://ci-files.testing.ansible.com/ansible-test/get-pip-<pip version>.py`` and cached as
``~/.ansible/test/cache/get_pip_<pip version with dots replaced by underscores>.py``.
When that host cannot be reached, tests/ansible_test.sh copies this file to the cache path instead.

ansible-test (ansible_test/_util/target/setup/requirements.py, ``bootstrap()``) runs it as::

    GET_PIP=<cache path> PIP_BREAK_SYSTEM_PACKAGES=1 \\
        <venv python> <temp copy of quiet_pip.py> --disable-pip-version-check pip==<version> --no-setuptools --no-wheel

and quiet_pip.py executes this file with ``runpy.run_module(..., run_name='__main__', alter_sys=True)``,
so ``sys.argv[1:]`` holds exactly those arguments and ``sys.executable`` is the interpreter to bootstrap.

Instead of pip's embedded wheel, this stand-in runs the pip wheel that the interpreter's own ``ensurepip``
ships, straight from the wheel (or, where a distribution keeps no wheel beside ensurepip, installs it with
ensurepip first), and lets that pip install the requested packages (normally from PyPI or the index configured via PIP_*
environment variables, which are inherited). Everything else follows the real get-pip.py:
``pip install --upgrade --force-reinstall <args> pip [setuptools] [wheel]``, where setuptools and wheel are only
added when absent, on Python < 3.12, and not excluded by --no-setuptools/--no-wheel or PIP_NO_SETUPTOOLS/PIP_NO_WHEEL.

Delete the cached file to make ansible-test fetch the real script again once the host is reachable.
"""

import glob
import importlib.util
import os
import subprocess
import sys

# Lets tests/ansible_test.sh (and people) tell the stand-in apart from a genuine cached get-pip.py.
OFFLINE_STAND_IN_MARKER = 'upstash.cloud offline get-pip stand-in'


def wants(option_flag, env_name, module_name, args):
    """Return True if get-pip.py would add the given package (setuptools/wheel) to the install."""
    # Same rule as include_setuptools()/include_wheel() in the real get-pip.py.
    return (
        option_flag not in args
        and not os.environ.get(env_name)
        and importlib.util.find_spec(module_name) is None
        and sys.version_info < (3, 12)
    )


def run(command):
    """Run a command, streaming its output, and exit with its status if it fails."""
    print('[%s] %s' % (OFFLINE_STAND_IN_MARKER, ' '.join(command)), file=sys.stderr)
    sys.stderr.flush()
    sys.stdout.flush()
    status = subprocess.call(command)

    if status:
        sys.exit(status)


def main():
    """Bootstrap pip into sys.executable without downloading get-pip.py."""
    args = sys.argv[1:]

    # Decide before ensurepip runs: on Python < 3.12 ensurepip installs setuptools as well,
    # which get-pip.py --no-setuptools would not have done.
    add_setuptools = wants('--no-setuptools', 'PIP_NO_SETUPTOOLS', 'setuptools', args)
    add_wheel = wants('--no-wheel', 'PIP_NO_WHEEL', 'wheel', args)
    had_setuptools = importlib.util.find_spec('setuptools') is not None

    try:
        import ensurepip  # pylint: disable=import-outside-toplevel
    except ImportError:
        sys.exit('%s: this Python (%s) has no ensurepip module (on Debian/Ubuntu install python3-venv), '
                 'so pip cannot be bootstrapped offline.' % (OFFLINE_STAND_IN_MARKER, sys.executable))

    # These two options are understood only by get-pip.py, not by pip.
    pip_args = [arg for arg in args if arg not in ('--no-setuptools', '--no-wheel')]
    pip_args.append('pip')

    if add_setuptools:
        pip_args.append('setuptools')

    if add_wheel:
        pip_args.append('wheel')

    install = ['install', '--upgrade', '--force-reinstall'] + pip_args
    bundled = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', 'pip-*.whl')))

    if bundled:
        # pip runs from its wheel, as get-pip.py runs its embedded one: one install, at the version ansible-test
        # pinned, instead of ensurepip's own install (pip, and setuptools before 3.12) followed by a reinstall.
        run([sys.executable, os.path.join(bundled[-1], 'pip')] + install)
        return

    # ensurepip installs its bundled wheels without network access and ignores PIP_* settings.
    run([sys.executable, '-m', 'ensurepip'])

    # Reinstall pip at the version ansible-test pinned (the bundled one may differ).
    run([sys.executable, '-m', 'pip'] + install)

    # The path finders cached the directory listings before ensurepip wrote to site-packages.
    importlib.invalidate_caches()

    if not add_setuptools and not had_setuptools and importlib.util.find_spec('setuptools') is not None:
        # Remove the setuptools that ensurepip (Python < 3.12) brought along, so the environment matches a real get-pip.py run.
        run([sys.executable, '-m', 'pip', 'uninstall', '--yes', '--disable-pip-version-check', '--quiet', 'setuptools'])


if __name__ == '__main__':
    main()
