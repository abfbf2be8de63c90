"""Shared helpers of the benchmarks: import paths, the demo credentials, and ansible runs.

The benchmarks live under tests/ but outside tests/unit, so pytest never collects them
(pytest.ini: testpaths = tests/unit). They print figures; they assert nothing.
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile

from tests.emulator import seeds

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_ROOT = os.path.join(REPO_ROOT, ".cache", "collections")
_LINK = os.path.join(COLLECTIONS_ROOT, "ansible_collections", "alicloud", "cas")

ACCOUNT = seeds.DEMO_ACCOUNT_ID
KEY = seeds.DEMO_ACCESS_KEY_ID
SECRET = seeds.DEMO_ACCESS_KEY_SECRET

# Variables that would make a module pick other credentials, endpoints or trust roots than
# the ones a benchmark passes explicitly.
_FOREIGN_ENV = (
    "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE",
    "ALICLOUD_PROFILE", "ALIBABA_CLOUD_CAS_ENDPOINT", "ALIBABA_CLOUD_DNS_ENDPOINT", "ANSIBLE_DEBUG",
    "ANSIBLE_CONFIG",
)


def setup_paths():
    """Same import path as tests/conftest.py: ansible_collections.alicloud.cas -> the checkout."""
    if not os.path.islink(_LINK):
        os.makedirs(os.path.dirname(_LINK), exist_ok=True)
        os.symlink(REPO_ROOT, _LINK)
    for path in (COLLECTIONS_ROOT, REPO_ROOT):
        if path not in sys.path:
            sys.path.insert(0, path)


def venv_bin(name):
    """A console script of the running interpreter's venv (ansible-playbook, ansible)."""
    return os.path.join(os.path.dirname(sys.executable), name)


def ansible_env(workdir, **extra):
    """Environment for ansible runs: this checkout as the collection, temp files in workdir."""
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_ENV}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_ROOT,
        "ANSIBLE_LOCAL_TEMP": os.path.join(workdir, "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": os.path.join(workdir, "ansible-remote"),
        "ANSIBLE_HOME": os.path.join(workdir, "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_SYSTEM_WARNINGS": "0",
        # One process per module run instead of copy + run, as a fleet operator would set.
        "ANSIBLE_PIPELINING": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra)
    return env


def role_vars(emu, cert_dir, domains, **more):
    """Variables for alicloud.cas.dv_certificate against the emulator with the demo key."""
    data = {
        "dv_certificate_domains": domains,
        "dv_certificate_cert_dir": cert_dir,
        "dv_certificate_email": "hostmaster@example.com",
        "dv_certificate_phone": "+86 138 0000 0000",
        "dv_certificate_username": "Bench Ops",
        "dv_certificate_cas_endpoint": emu.base_url,
        "dv_certificate_dns_endpoint": emu.base_url,
        "dv_certificate_ca_path": emu.ca_path,
        "dv_certificate_access_key_id": KEY,
        "dv_certificate_access_key_secret": SECRET,
    }
    data.update(more)
    return data


def write_role_play(workdir, name="play.yml", hosts="localhost", strategy="linear"):
    """A play applying the role; its variables come from -e @vars.json or the inventory."""
    path = os.path.join(workdir, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            "---\n"
            "- name: Issue DV certificates\n"
            "  hosts: %s\n"
            "  gather_facts: false\n"
            "  strategy: %s\n"
            "  roles:\n"
            "    - role: alicloud.cas.dv_certificate\n" % (hosts, strategy))
    return path


def write_json(workdir, name, data):
    path = os.path.join(workdir, name)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    return path


def localhost_inventory(workdir):
    return write_json(workdir, "inventory.json", {"all": {"hosts": {"localhost": {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable}}}})


def run_playbook(workdir, playbook, inventory, extra_vars_file=None, forks=None, args=(), env_extra=None,
                 timeout=1800):
    """Run ansible-playbook; returns the CompletedProcess (stdout and stderr together)."""
    cmd = [venv_bin("ansible-playbook"), "-i", inventory, playbook]
    if extra_vars_file:
        cmd += ["-e", "@" + extra_vars_file]
    if forks:
        cmd += ["--forks", str(forks)]
    cmd += list(args)
    return subprocess.run(cmd, cwd=workdir, env=ansible_env(workdir, **(env_extra or {})),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                          check=False)


def run_bounded(workdir, play, inventory, forks, timeout, env_extra):
    """ansible-playbook in its own process group, all of it stopped at ``timeout`` s (its
    workers too, which a plain subprocess timeout would leave running); rc None then."""
    cmd = [venv_bin("ansible-playbook"), "-i", inventory, play, "--forks", str(forks)]
    process = subprocess.Popen(cmd, cwd=workdir, env=ansible_env(workdir, **env_extra), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        stdout = process.communicate(timeout=timeout)[0]
        return subprocess.CompletedProcess(cmd, process.returncode, stdout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        stdout = process.communicate()[0]
        return subprocess.CompletedProcess(cmd, None, stdout)


def new_workdir(prefix):
    return tempfile.mkdtemp(prefix="alicloud-cas-bench-%s-" % prefix)


def percentile(values, fraction):
    """Nearest-rank percentile (p95 of 200 samples is the 190th smallest)."""
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values):
    return statistics.median(values)
