"""Make the repository importable as ``ansible_collections.alicloud.cas``.

The repository root is the collection root, so a symlink under ``.cache`` gives
plain pytest the import path that ansible-test would build.
"""

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_ROOT = os.path.join(REPO_ROOT, ".cache", "collections")
LINK = os.path.join(COLLECTIONS_ROOT, "ansible_collections", "alicloud", "cas")

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(REPO_ROOT, LINK)

for path in (COLLECTIONS_ROOT, REPO_ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)
