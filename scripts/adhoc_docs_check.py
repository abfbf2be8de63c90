"""Run the ad hoc commands that README.md, docs/examples.md and docs/deployment.md show, against the emulator.

Used by scripts/docs-check.sh. The commands are read from the pages, not copied here: every
fenced ``sh`` block that holds ``ansible localhost -m alicloud.cas.`` is part of the page's
sequence, in the page's order, and each page runs from a fresh emulator account (seed demo).

Each logical line (``\\`` continuations and lines inside double quotes joined) of such a block is handled as follows:

* ``export ALIBABA_CLOUD_...=...``: skipped; the emulator's credentials and endpoints are in
  the environment instead (ALIBABA_CLOUD_CAS_ENDPOINT, ALIBABA_CLOUD_DNS_ENDPOINT, the five
  ALIBABA_CLOUD_{CDN,DCDN,CLB,ALB,NLB}_ENDPOINT and REQUESTS_CA_BUNDLE point the modules at it,
  as they would at any endpoint);
* ``NAME=value  # ...``: a value the reader copies from the output before; the check sets it
  from that output (FROM_OUTPUT says where from) and fails on a name it does not know;
* ``ansible localhost -m alicloud.cas.MODULE ...``: run with bash as written; it must exit 0
  and print ``localhost | SUCCESS`` or ``CHANGED``. A MODULE that plugins/modules does not
  have is skipped with the reason (so the docs may show a module that is on its way, and the
  command runs as soon as the module exists; docs-check's name check fails meanwhile);
* anything else (``mkdir -p``): run with bash.

The documented directory /etc/ssl/alicloud is replaced by a temporary one. After a
certificate_download command ran, the files it names must exist, the key mode 0600.

Usage: adhoc_docs_check.py PYTHON PAGE...   (PYTHON: the venv's interpreter, runs the emulator)
Prints one line per command and "adhoc: N passed, N failed, N skipped"; exit 1 on a failure.
"""

import concurrent.futures
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC_DIR = "/etc/ssl/alicloud"
ADHOC = re.compile(r"^ansible localhost -m alicloud\.cas\.([a-z_]+)\b")
ASSIGNMENT = re.compile(r"^(export\s+)?([A-Z][A-Z0-9_]*)=(\S*)")
# Values a reader copies from an earlier command's output: (module, how to read it).
FROM_OUTPUT = {
    "ORDER_ID": ("certificate_request", lambda r: r["order_id"]),
    "INSTANCE_ID": ("certificate_request", lambda r: r["instance_id"]),
    "TXT_RECORD": ("certificate_request", lambda r: r["validations"][0]["fqdn"]),
    "TXT_VALUE": ("certificate_request", lambda r: r["validations"][0]["value"]),
}
PRODUCTS = ("CDN", "DCDN", "CLB", "ALB", "NLB")  # certificate_deployment's ALIBABA_CLOUD_<P>_ENDPOINT
EMULATOR_KEY = ("LTAI5tEmulatorDemoKey01", "EmulatorDemoSecret0123456789abc")  # the demo seed's


def blocks(page):
    """The fenced sh blocks of PAGE that run an alicloud.cas module ad hoc, as logical lines."""
    text = open(os.path.join(ROOT, page), encoding="utf-8").read()
    for body in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        if "ansible localhost -m alicloud.cas." not in body:
            continue
        lines, current = [], ""
        for raw in body.splitlines():
            if raw.rstrip().endswith("\\"):
                current += raw.rstrip()[:-1] + " "
                continue
            current += raw
            if current.count('"') % 2:  # a quoted argument goes on over the next line
                current += "\n"
                continue
            if current.strip():
                lines.append(current.strip())
            current = ""
        if current.strip():
            lines.append(current.strip())
        yield lines


class Emulator:
    def __init__(self, python):
        self.dir = tempfile.mkdtemp(prefix="adhoc-emulator-")
        self.process = subprocess.Popen(
            [python, "-m", "tests.emulator", "--seed", "demo", "--state-dir", self.dir],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "stderr.log"), "w"))
        path = os.path.join(self.dir, "emulator.json")
        for _attempt in range(300):
            if os.path.exists(path) and os.path.getsize(path):
                break
            if self.process.poll() is not None:
                sys.exit("adhoc: the emulator exited early: %s" % open(os.path.join(self.dir, "stderr.log")).read())
            time.sleep(0.1)
        else:
            self.stop()
            sys.exit("adhoc: the emulator did not start within 30 s")
        self.info = json.load(open(path))

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def environment(emulator, values):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_"))}
    env.update(values)
    env.update({
        "ALIBABA_CLOUD_ACCESS_KEY_ID": EMULATOR_KEY[0],
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": EMULATOR_KEY[1],
        "ALIBABA_CLOUD_CAS_ENDPOINT": emulator.info["base_url"],
        "ALIBABA_CLOUD_DNS_ENDPOINT": emulator.info["base_url"],
        # The five products certificate_deployment talks to answer on the same URL.
        **{"ALIBABA_CLOUD_%s_ENDPOINT" % product: emulator.info["base_url"] for product in PRODUCTS},
        "REQUESTS_CA_BUNDLE": emulator.info["ca_path"],
        "ANSIBLE_NOCOLOR": "1",
    })
    return env


def run_page(python, page, counts, out):
    emulator = Emulator(python)
    files = tempfile.mkdtemp(prefix="adhoc-files-")
    results, values = {}, {}
    try:
        for lines in blocks(page):
            for line in lines:
                command = line.replace(DOC_DIR, files)
                assignment = ASSIGNMENT.match(line)
                adhoc = ADHOC.match(line)
                if assignment and assignment.group(2).startswith("ALIBABA_CLOUD_"):
                    continue
                if assignment and not adhoc:
                    name = assignment.group(2)
                    if name not in FROM_OUTPUT:
                        out.append("  FAIL %s: %s is set by hand; the check knows no output it comes from" % (page, name))
                        counts["failed"] += 1
                        return
                    module, read = FROM_OUTPUT[name]
                    if module not in results:
                        out.append("  FAIL %s: %s comes from %s, which has not run before it" % (page, name, module))
                        counts["failed"] += 1
                        return
                    values[name] = str(read(results[module]))
                    continue
                if adhoc and not os.path.exists(os.path.join(ROOT, "plugins", "modules", adhoc.group(1) + ".py")):
                    out.append("  SKIP %s: alicloud.cas.%s is not in plugins/modules yet: %s" % (page, adhoc.group(1), short(line)))
                    counts["skipped"] += 1
                    continue
                proc = subprocess.run(["bash", "-c", command], cwd=files, env=environment(emulator, values),
                                      capture_output=True, text=True, timeout=300, check=False)
                if not adhoc:
                    if proc.returncode != 0:
                        out.append("  FAIL %s: %s (exit %d): %s" % (page, short(line), proc.returncode, proc.stderr.strip()))
                        counts["failed"] += 1
                        return
                    continue
                found = re.search(r"^localhost \| (SUCCESS|CHANGED) => (\{.*\})\s*$", proc.stdout, flags=re.S | re.M)
                if proc.returncode != 0 or not found:
                    out.append("  FAIL %s: %s (exit %d)" % (page, short(line), proc.returncode))
                    out.append("       " + (proc.stdout + proc.stderr).strip().replace("\n", "\n       ")[:3000])
                    counts["failed"] += 1
                    return
                result = json.loads(found.group(2))
                results[adhoc.group(1)] = result
                problem = check_files(command, files) if adhoc.group(1) == "certificate_download" else None
                if problem:
                    out.append("  FAIL %s: %s: %s" % (page, short(line), problem))
                    counts["failed"] += 1
                    return
                out.append("  ok   %s: %s (%s)" % (page, short(line), found.group(1)))
                counts["passed"] += 1
    finally:
        emulator.stop()
        shutil.rmtree(files, ignore_errors=True)


def check_files(command, files):
    for key, path in re.findall(r"\b(cert_dest|chain_dest|fullchain_dest|privatekey_dest)=(\S+)", command):
        path = path.strip("\"'")
        if not os.path.isfile(path):
            return "%s %s was not written" % (key, path)
        if key == "privatekey_dest" and stat.S_IMODE(os.stat(path).st_mode) != 0o600:
            return "the key %s has mode %04o, not 0600" % (path, stat.S_IMODE(os.stat(path).st_mode))
    return None


def short(line):
    words = shlex.split(line) if line.count('"') % 2 == 0 else line.split()
    text = " ".join(words)
    return text if len(text) <= 110 else text[:107] + "..."


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    python, pages = sys.argv[1], sys.argv[2:]
    # The pages run side by side, each with its own emulator: most of the time is spent in
    # ansible's start-up, so this halves the wall time on two cores.
    runs = [(page, {"passed": 0, "failed": 0, "skipped": 0}, []) for page in pages]
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        for future in [pool.submit(run_page, python, page, counts, out) for page, counts, out in runs]:
            future.result()
    total = {"passed": 0, "failed": 0, "skipped": 0}
    for page, counts, out in runs:
        print("\n".join(out))
        if not any(counts.values()):
            print("  FAIL %s shows no ad hoc command (a fenced sh block with ansible localhost -m alicloud.cas...)" % page)
            counts["failed"] += 1
        for key in total:
            total[key] += counts[key]
    print("adhoc: %(passed)d passed, %(failed)d failed, %(skipped)d skipped" % total)
    sys.exit(1 if total["failed"] else 0)


if __name__ == "__main__":
    main()
