"""Mirror the checkout into DEST/ansible_collections/alicloud/cas for ansible-test.

ansible-test needs the collection at ``.../ansible_collections/<ns>/<name>/``
and refuses a symlinked root (it resolves the working directory). This script
keeps a copy of exactly the files ansible-test would see in the git checkout: tracked files plus
untracked files that are not ignored (``git ls-files --cached --others
--exclude-standard``). Outside git it walks the tree and skips the usual
generated folders. Files are copied only when size, mtime or mode changed;
files that disappeared from the checkout are removed from the copy.
``tests/output`` inside the copy (ansible-test's results) is left alone.

The copy gets its own empty git repository (``git init``, no commit): the copy
lives under the checkout's ignored ``.cache/``, and without a ``.git`` of its
own ansible-test would use the enclosing checkout's git, where every file of
the copy is ignored, and find nothing to test. In the new repository every
file is untracked and not ignored, so ansible-test sees them all.

Usage: sync_collection.py DEST   -> prints the collection copy path
"""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMESPACE, NAME = "alicloud", "cas"

# Used only outside git; in git, .gitignore decides.
WALK_SKIP_DIRS = {".git", ".cache", ".venv", "dist", ".ansible", "collections",
                  "__pycache__", ".pytest_cache", ".tox"}
WALK_SKIP_PREFIX = (".venv-",)
KEEP_IN_DEST = ("tests/output/", ".git/")


def source_files():
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, check=True, capture_output=True).stdout
        files = [f for f in out.decode("utf-8", "surrogateescape").split("\0") if f]
        # Deleted-but-still-tracked files are listed by --cached; skip them.
        return sorted(f for f in set(files) if os.path.lexists(os.path.join(ROOT, f)))
    except (OSError, subprocess.CalledProcessError):
        pass
    result = []
    for base, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs
                   if d not in WALK_SKIP_DIRS and not d.startswith(WALK_SKIP_PREFIX)
                   and not (os.path.relpath(os.path.join(base, d), ROOT) == "tests/output")]
        for name in names:
            if name.endswith((".pyc", ".pyo")):
                continue
            result.append(os.path.relpath(os.path.join(base, name), ROOT))
    return sorted(result)


def same(src, dst):
    try:
        s, d = os.lstat(src), os.lstat(dst)
    except FileNotFoundError:
        return False
    return (s.st_size == d.st_size and int(s.st_mtime) == int(d.st_mtime)
            and s.st_mode == d.st_mode)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dest = os.path.join(os.path.abspath(sys.argv[1]), "ansible_collections", NAMESPACE, NAME)
    os.makedirs(dest, exist_ok=True)
    wanted = source_files()
    wanted_set = set(wanted)
    copied = 0
    for rel in wanted:
        src, dst = os.path.join(ROOT, rel), os.path.join(dest, rel)
        if os.path.islink(src):
            if os.path.islink(dst) and os.readlink(dst) == os.readlink(src):
                continue
            if os.path.lexists(dst):
                os.remove(dst)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.symlink(os.readlink(src), dst)
            copied += 1
            continue
        if same(src, dst):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.isdir(dst) and not os.path.islink(dst):
            shutil.rmtree(dst)
        elif os.path.islink(dst):
            os.remove(dst)
        shutil.copy2(src, dst)
        copied += 1
    removed = 0
    for base, dirs, names in os.walk(dest, topdown=False):
        rel_base = os.path.relpath(base, dest)
        rel_base = "" if rel_base == "." else rel_base + "/"
        if rel_base.startswith(KEEP_IN_DEST):
            continue
        for name in names:
            rel = rel_base + name
            if rel not in wanted_set and not rel.startswith(KEEP_IN_DEST):
                os.remove(os.path.join(base, name))
                removed += 1
        for d in dirs:
            path = os.path.join(base, d)
            if (rel_base + d + "/").startswith(KEEP_IN_DEST):
                continue
            if os.path.islink(path):
                if rel_base + d not in wanted_set:
                    os.remove(path)
                    removed += 1
                continue
            if not os.listdir(path):
                os.rmdir(path)
    if not os.path.isdir(os.path.join(dest, ".git")):
        try:
            subprocess.run(["git", "init", "-q", dest], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.exit("cannot create a git repository in %s: %s" % (dest, exc))
    print("synced %d files into %s (%d copied, %d removed)" % (len(wanted), dest, copied, removed),
          file=sys.stderr)
    print(dest)


if __name__ == "__main__":
    main()
