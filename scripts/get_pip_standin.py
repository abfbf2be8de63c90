"""Offline stand-in for ansible-test's pip bootstrap script (get-pip).

alicloud.cas harness stand-in: ansible-test sanity --venv downloads get-pip-X.Y.py
from a host that is unreachable here. scripts/harness.sh installs this file as
~/.ansible/test/cache/get_pip_X_Y.py instead. ensurepip must run in a
subprocess: in-process it drops pip's certificate configuration.
"""

import subprocess
import sys

ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + ARGS)
