# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Writing an issued certificate's files (certificate, chain, full chain, private key).

The decisions (which file changes, what check mode and diff report) are plain functions
over a small writer interface, so they are tested with a fake writer; the writer that
touches the disk drives AnsibleModule's atomic_move and set_fs_attributes_if_different.
The private key goes from the API answer to its file and is never part of a result or diff.

An archive bundles the files of several certificates, one directory each, so that a host
receives all of them in one transfer: ``archive_bytes`` makes it (deterministic: the same
content gives the same bytes), ``read_archive`` and ``install_archive`` put it in place on the
host through the same writer, atomically file by file and only where content differs.
"""

from __future__ import annotations

import errno
import io
import os
import tarfile
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
DIRECTORY_MODE = "0755"
# The names of the files in each directory of an archive: the role's layout (certbot's).
ARCHIVE_NAMES = (
    ("cert", "cert.pem"),
    ("chain", "chain.pem"),
    ("fullchain", "fullchain.pem"),
    ("privatekey", "privkey.pem"),
)


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

    def ensure_directory(self, path, mode, check_mode=False):
        """Create ``path`` and its missing parents, each given ``mode`` and the task's owner and
        group (as ansible.builtin.file state=directory does); whether anything changed."""
        missing = []
        current = path
        while not os.path.isdir(current) and os.path.dirname(current) != current:
            missing.append(current)
            current = os.path.dirname(current)
        if missing and check_mode:
            return True
        try:
            for directory in reversed(missing):
                os.mkdir(directory, int(mode, 8))
                self.set_attributes(directory, mode)
        except OSError as error:
            raise FileWriteError("Could not create the directory %s: %s" % (path, error)) from error
        return self.set_attributes(path, mode) or bool(missing)


def check_archive_directory(name, where="", option="archives"):
    """An archive directory is one plain path component, so that no member can point outside ``dest``."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ConfigurationError("%s%r is not a directory name: give one path component such as www.example.com,"
                                 " without / or .." % (where, name), option)
    return name


def archive_bytes(members):
    """A tar archive (uncompressed) of ``members``: ``[(directory, contents, mtime)]``.

    Each directory holds the files of ``ARCHIVE_NAMES`` that have content, mode 0644 and the
    key 0600, owned by uid/gid 0 without names. Every field is fixed or comes from the
    arguments, so the same certificates give the same bytes and a rerun changes nothing.
    """
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for directory, contents, mtime in members:
            info = tarfile.TarInfo(check_archive_directory(directory))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, int(DIRECTORY_MODE, 8), int(mtime)
            archive.addfile(info)
            for kind, name in ARCHIVE_NAMES:
                content = contents.get(kind)
                if not content:
                    continue
                data = content.encode("utf-8")
                info = tarfile.TarInfo("%s/%s" % (directory, name))
                info.size, info.mtime = len(data), int(mtime)
                info.mode = int(PRIVATE_KEY_MODE if kind == "privatekey" else CERTIFICATE_MODE, 8)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_archive(path, members, writer, check_mode=False):
    """Write the archive of ``members`` to ``path`` when its bytes differ, atomically and 0600
    from the start (it holds keys); returns whether it changed (or would, in check mode)."""
    data = archive_bytes(members)
    current = writer.read(path)
    changed = current != data
    if changed and not check_mode:
        writer.replace(path, data, True)
    if current is not None or not check_mode:  # in check mode a missing file has no attributes to compare
        changed = writer.set_attributes(path, PRIVATE_KEY_MODE) or changed
    return changed


def read_archive(path):
    """``[(directory, {kind: (content, mode)})]`` of an archive written by ``archive_bytes``.

    Anything else is refused (links, devices, absolute or nested paths, unknown file names),
    so that an archive can only ever write certificate files under ``dest``.
    """
    names = dict((name, kind) for kind, name in ARCHIVE_NAMES)
    directories = []
    try:
        with tarfile.open(path, "r:") as archive:
            for member in archive.getmembers():
                parts = member.name.split("/")
                if member.isdir() and len(parts) == 1:
                    directories.append((check_archive_directory(parts[0], "src: ", "src"), {}))
                elif (member.isfile() and len(parts) == 2 and parts[1] in names and directories
                      and directories[-1][0] == parts[0]):
                    content = archive.extractfile(member).read().decode("utf-8")
                    directories[-1][1][names[parts[1]]] = (content, "%04o" % (member.mode & 0o7777))
                else:
                    raise ConfigurationError(
                        "src: the archive member %r is not part of the layout certificate_request_info writes"
                        " (a directory per certificate holding %s)." % (member.name, ", ".join(sorted(names))), "src")
    except (tarfile.TarError, UnicodeDecodeError) as error:
        # The path is the copy in the host's temporary directory: naming it would not help.
        raise ConfigurationError("src is not an archive written by certificate_request_info (%s); give the dest"
                                 " of one of its archives." % error, "src") from error
    if not directories:
        raise ConfigurationError("src holds no certificate; give the dest of an archive of"
                                 " certificate_request_info.", "src")
    return directories


def install_archive(src, dest, writer, check_mode=False):
    """Put every directory of the archive ``src`` under ``dest``; returns ``(certificates, changed, diff)``.

    ``certificates`` lists each directory with its ``path``, whether it ``changed`` (its files
    or the directory itself) and its ``files`` as ``write_files`` reports them.
    """
    certificates = []
    before, after = {}, {}
    for directory, files in read_archive(src):
        target = os.path.join(dest, directory)
        directory_changed = writer.ensure_directory(target, DIRECTORY_MODE, check_mode)
        dests = dict((kind, os.path.join(target, name)) for kind, name in ARCHIVE_NAMES if kind in files)
        contents = dict((kind, content) for kind, (content, _mode) in files.items())
        modes = dict((kind, mode) for kind, (_content, mode) in files.items())
        written, changed, diff = write_files(dests, contents, writer, check_mode=check_mode, modes=modes)
        before.update(diff["before"])
        after.update(diff["after"])
        certificates.append({"dir": directory, "path": target, "changed": changed or directory_changed,
                             "files": written})
    return certificates, any(item["changed"] for item in certificates), {"before": before, "after": after}
