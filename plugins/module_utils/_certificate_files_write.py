# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Writing an issued certificate's files (certificate, chain, full chain, private key).

The decisions (which file changes, what check mode and diff report) are plain functions
over a small writer interface, so they are tested with a fake writer; the writer that
touches the disk drives AnsibleModule's atomic_move and set_fs_attributes_if_different.
The private key goes from the API answer to its file and is never part of a result or diff.
"""

from __future__ import annotations

import errno
import os
import tempfile

from ansible_collections.alicloud.cas.plugins.module_utils._errors import AlicloudCasError, ConfigurationError

# The files a certificate is saved as, in the order they are written, with their options.
FILE_OPTIONS = (
    ("cert", "cert_dest"),
    ("chain", "chain_dest"),
    ("fullchain", "fullchain_dest"),
    ("privatekey", "privatekey_dest"),
)
CERTIFICATE_MODE = "0644"
PRIVATE_KEY_MODE = "0600"


class FileWriteError(AlicloudCasError):
    """A file could not be written; in batch mode only its certificate fails."""


def destinations(params, where=""):
    """``{kind: path}`` of the file options set in ``params``; refused when two name one path
    or a directory is missing, before any call. ``where`` prefixes the option in messages."""
    found = {}
    for kind, option in FILE_OPTIONS:
        path = params.get(option)
        if not path:
            continue
        path = os.path.abspath(path)
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            raise ConfigurationError(
                "%s%s: the directory %s does not exist; create it first (for example with"
                " ansible.builtin.file state=directory)." % (where, option, directory), option)
        if os.path.isdir(path):
            raise ConfigurationError("%s%s: %s is a directory; give the path of the file to write."
                                     % (where, option, path), option)
        for other_kind, other in found.items():
            if other == path:
                raise ConfigurationError("%s%s and %s name the same file %s; give each file its own path."
                                         % (where, dict(FILE_OPTIONS)[other_kind], option, path), option)
        found[kind] = path
    return found


def material(view, private_key):
    """What each file holds: the PEM strings of a certificate view, and the key apart."""
    return {"cert": view.get("certificate"), "chain": view.get("chain"), "fullchain": view.get("fullchain"),
            "privatekey": private_key}


def write_files(dests, contents, writer, check_mode=False, modes=None):
    """Write each destination whose content differs; returns ``(files, changed, diff)``.

    ``files`` is ``{kind: {"path", "changed"}}`` (plus ``"missing": true`` when the API has
    nothing for that file, e.g. no chain, or no key for an uploaded CSR: it is left alone).
    A file is replaced only when its bytes differ, atomically; its attributes (mode, owner,
    group) are then set when they differ. Check mode writes nothing and reports the same.
    ``diff`` names paths and whether their content changes, never the content itself.
    """
    modes = modes or {}
    files = {}
    before, after = {}, {}
    for kind, _option in FILE_OPTIONS:
        path = dests.get(kind)
        if not path:
            continue
        content = contents.get(kind)
        if not content:
            files[kind] = {"path": path, "changed": False, "missing": True}
            continue
        data = content.encode("utf-8")
        current = writer.read(path)
        content_changed = current != data
        secret = kind == "privatekey"
        mode = modes.get(kind) or (PRIVATE_KEY_MODE if secret else CERTIFICATE_MODE)
        if content_changed and not check_mode:
            writer.replace(path, data, secret)
        attributes_changed = False
        if current is not None or not check_mode:  # in check mode a missing file has no attributes to compare
            attributes_changed = writer.set_attributes(path, mode)
        files[kind] = {"path": path, "changed": content_changed or attributes_changed}
        before[path] = "absent" if current is None else ("other content" if content_changed else "same content")
        after[path] = "new content" if content_changed else "same content"
    changed = any(item["changed"] for item in files.values())
    return files, changed, {"before": before, "after": after}


class AnsibleModuleFileWriter:
    """The writer over an AnsibleModule: atomic replace, then the task's file attributes."""

    def __init__(self, module):
        self.module = module

    def read(self, path):
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def replace(self, path, data, secret):
        """Write a temporary file in the same directory (so the rename is atomic) and move it over ``path``."""
        temporary = None
        try:
            handle, temporary = tempfile.mkstemp(prefix=".alicloud-cas-", dir=os.path.dirname(path))  # mode 0600
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            if secret:
                self._move_secret(temporary, path)
            else:
                self.module.atomic_move(temporary, path, unsafe_writes=self.module.params.get("unsafe_writes", False))
        except Exception as error:  # atomic_move raises bare Exception; the path says which file
            raise FileWriteError("Could not write %s: %s" % (path, error)) from error
        finally:
            if temporary and os.path.exists(temporary):
                os.unlink(temporary)

    def _move_secret(self, temporary, path):
        # atomic_move gives a file it creates 0666 & ~umask and copies an old file's mode onto
        # the new one, both before the task's mode is applied: for a key, a moment in which
        # others may read it. Under umask 077 and without the old mode, the key is 0600 from
        # the rename on; only the old owner is kept, as atomic_move would.
        try:
            status = os.stat(path)
            os.chown(temporary, status.st_uid, status.st_gid)
        except OSError as error:
            if error.errno not in (errno.ENOENT, errno.EPERM):
                raise
        umask = os.umask(0o077)
        try:
            self.module.atomic_move(temporary, path, keep_dest_attrs=False)
        finally:
            os.umask(umask)

    def set_attributes(self, path, mode):
        arguments = self.module.load_file_common_arguments(self.module.params, path=path)
        arguments["mode"] = mode
        return self.module.set_fs_attributes_if_different(arguments, False)
