"""Helpers of the reliability and security tests (imported by conftest.py and the tests).

Playbooks run with the ansible of the test's own venv (its bin directory is next to
sys.executable), the collection from .cache/collections (tests/conftest.py links it), and
every Ansible temp/home directory inside the test's tmp_path, so a test can inspect all
files a run wrote.
"""

import json
import os
import subprocess
import sys

from tests.emulator import seeds

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COLLECTIONS_ROOT = os.path.join(REPO_ROOT, ".cache", "collections")

DEMO_ACCOUNT = seeds.DEMO_ACCOUNT_ID
DEMO_KEY = seeds.DEMO_ACCESS_KEY_ID
DEMO_SECRET = seeds.DEMO_ACCESS_KEY_SECRET

# Settings of the developer's shell that would change which credentials, endpoints or
# trust roots a module uses, or make Ansible print debug output.
_FOREIGN_ENV = (
    "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE",
    "ALICLOUD_PROFILE", "ALICLOUD_SHARED_CREDENTIALS_FILE", "ALIBABA_CLOUD_CAS_ENDPOINT",
    "ALIBABA_CLOUD_DNS_ENDPOINT", "ALIBABA_CLOUD_ECS_METADATA", "ALICLOUD_ECS_ROLE_NAME", "ANSIBLE_DEBUG",
    "ANSIBLE_CONFIG", "ANSIBLE_LOG_PATH", "ANSIBLE_STDOUT_CALLBACK",
)


class AnsibleRunner:
    """Runs generated playbooks against localhost with this checkout as alicloud.cas."""

    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.home = os.path.join(self.workdir, "home")  # no ~/.aliyun/config.json to fall back on
        for sub in ("home", "ansible-local", "ansible-remote", "ansible-home"):
            os.makedirs(os.path.join(self.workdir, sub), exist_ok=True)
        self.inventory = os.path.join(self.workdir, "inventory.json")
        self.write_inventory({"all": {"hosts": {"localhost": {}}}})

    def write_inventory(self, data):
        # Interpreter discovery would pick a pyenv shim on these machines.
        data.setdefault("all", {}).setdefault("vars", {}).update({
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        })
        with open(self.inventory, "w", encoding="utf-8") as handle:
            json.dump(data, handle)

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_ENV}
        env.update({
            "HOME": self.home,
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_ROOT,
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.workdir, "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": os.path.join(self.workdir, "ansible-remote"),
            "ANSIBLE_HOME": os.path.join(self.workdir, "ansible-home"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_SYSTEM_WARNINGS": "0",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
            # One process per module run instead of copy + run: faster, same module code.
            "ANSIBLE_PIPELINING": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        env.update(extra)
        return env

    def playbook(self, plays, args=(), env=None, name="play.json", timeout=240):
        """Write ``plays`` (a list of plays; JSON is YAML) and run it; stdout+stderr in .stdout."""
        path = os.path.join(self.workdir, name)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(plays, handle, indent=1)
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", self.inventory, path]
        return subprocess.run(command + list(args), cwd=self.workdir, env=self.env(**(env or {})),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                              check=False)


def crash_markers(text):
    """Signs that a module or Ansible itself crashed instead of failing cleanly."""
    markers = ("Traceback (most recent call last)", "MODULE FAILURE", "module_stderr", "Unexpected error:")
    return [marker for marker in markers if marker in text]
