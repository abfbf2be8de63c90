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
import re
import stat
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


# One clause of a symbolic mode (chmod's syntax): who, then one or more operations.
_SYMBOLIC_CLAUSE = re.compile(r"^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$")
_OCTAL_MODE = re.compile(r"^0?[0-7]{3,4}$")


def _mode_text(value, option):
    """A mode as the file options take it, as text: an int (YAML 0640) becomes its octal digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "%04o" % value
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ConfigurationError("%s must be an octal mode such as '0640' or a symbolic one such as 'u=rw,g=r', got %r."
                             % (option, value), option)


def _opens_to_others(mode):
    """Whether ``mode`` (octal or symbolic text) may give users outside the owner and group any
    access. A symbolic clause for everyone (``a``, or no ``u``/``g``/``o`` at all, which the umask
    only narrows) counts, whatever the umask."""
    if _OCTAL_MODE.match(mode):
        return bool(int(mode, 8) & 0o007)
    for clause in mode.split(","):
        match = _SYMBOLIC_CLAUSE.match(clause)
        if not match:
            return None  # not a mode at all
        who, operations = match.groups()
        if who and "o" not in who and "a" not in who:
            continue
        if any(operation[0] in "+=" and operation[1:] for operation in re.findall(r"[-+=][^-+=]*", operations)):
            return True
    return False


def file_modes(params):
    """``{kind: mode}`` of a certificate's files: ``mode`` for the certificates (default 0644),
    ``privatekey_mode`` for the key (default 0600).

    A key mode that lets others (neither the owner nor the group) read, change or run the key is
    refused before anything is written: sharing a key is done with a group (0640 and a group such
    as ssl-cert), never with every user of the host.
    """
    certificate = CERTIFICATE_MODE if params.get("mode") is None else _mode_text(params["mode"], "mode")
    key = PRIVATE_KEY_MODE
    if params.get("privatekey_mode") is not None:
        key = _mode_text(params["privatekey_mode"], "privatekey_mode")
        opens = _opens_to_others(key)
        if opens is None:
            raise ConfigurationError("privatekey_mode %r is not a mode: give an octal mode such as '0600' or '0640'."
                                     % key, "privatekey_mode")
        if opens:
            raise ConfigurationError(
                "privatekey_mode %s gives users other than the owner and the group access to the private key;"
                " give 0600, or 0640 with a group (for example group: ssl-cert) to share it with a service." % key,
                "privatekey_mode")
    return {"cert": certificate, "chain": certificate, "fullchain": certificate, "privatekey": key}


def directory_mode(params):
    """The mode of the certificate directories: None (created 0755, an existing one keeps its
    mode) unless the task gives ``directory_mode``."""
    if params.get("directory_mode") is None:
        return None
    return _mode_text(params["directory_mode"], "directory_mode")


def _shown_mode(mode):
    """A requested mode as a diff shows it: octal in four digits, a symbolic one as given."""
    return "%04o" % int(mode, 8) if _OCTAL_MODE.match(mode) else mode


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
    A file is replaced only when its bytes differ, atomically; its attributes (``modes[kind]``,
    owner, group) are then set when they differ. Check mode writes nothing and reports the same.
    ``diff`` gives each path's content state and mode before and after, never the content itself.
    """
    modes = dict(file_modes({}), **dict((kind, mode) for kind, mode in (modes or {}).items() if mode is not None))
    files = {}
    diff = {"before": {}, "after": {}}
    for kind, _option in FILE_OPTIONS:
        path = dests.get(kind)
        if not path:
            continue
        content = contents.get(kind)
        if not content:
            files[kind] = {"path": path, "changed": False, "missing": True}
            continue
        changed = write_file(path, content.encode("utf-8"), writer, modes[kind], kind == "privatekey", check_mode,
                             diff)
        files[kind] = {"path": path, "changed": changed}
    return files, any(item["changed"] for item in files.values()), diff


def write_file(path, data, writer, mode, secret, check_mode, diff):
    """Replace ``path`` with ``data`` when its bytes differ, then give it ``mode`` and the task's
    owner and group; whether anything changed (or would, in check mode).

    ``diff`` (``{"before": {}, "after": {}}``) receives the path's content state and mode
    before and after: never the content.
    """
    current = writer.read(path)
    current_mode = None if current is None else writer.mode(path)
    content_changed = current != data
    if content_changed and not check_mode:
        writer.replace(path, data, secret)
    attributes_changed = False
    if current is not None or not check_mode:  # in check mode a missing file has no attributes to compare
        attributes_changed = writer.set_attributes(path, mode)
    before = "absent" if current is None else ("other content" if content_changed else "same content")
    diff["before"][path] = {"content": before, "mode": current_mode}
    diff["after"][path] = {"content": "new content" if content_changed else "same content",
                           "mode": _shown_mode(mode) if check_mode else writer.mode(path)}
    return content_changed or attributes_changed


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

    @staticmethod
    def mode(path):
        """The mode of ``path`` as four octal digits, or None when it does not exist."""
        try:
            return "%04o" % stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
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

    def ensure_directory(self, path, mode=None, check_mode=False):
        """Create ``path`` and its missing parents (``mode``, or 0755 when None) with the task's
        owner and group, as ansible.builtin.file state=directory does; whether anything changed.

        An existing ``path`` gets the task's owner and group, and ``mode`` only when one is given:
        a directory the user narrowed (0750, say) is never widened back.
        """
        missing = []
        current = path
        while not os.path.isdir(current) and os.path.dirname(current) != current:
            missing.append(current)
            current = os.path.dirname(current)
        if missing and check_mode:
            return True
        try:
            for directory in reversed(missing):
                os.mkdir(directory, int(DIRECTORY_MODE, 8))
                self.set_attributes(directory, mode or DIRECTORY_MODE)
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


def write_archive(path, members, writer, check_mode=False, diff=None):
    """Write the archive of ``members`` to ``path`` when its bytes differ, atomically and 0600
    from the start (it holds keys); returns whether it changed (or would, in check mode).
    ``diff``, when given, receives the archive's entry as ``write_file`` makes it."""
    return write_file(path, archive_bytes(members), writer, PRIVATE_KEY_MODE, True, check_mode,
                      diff if diff is not None else {"before": {}, "after": {}})


def read_archive(path):
    """``[(directory, {kind: content})]`` of an archive written by ``archive_bytes``.

    Anything else is refused (links, devices, absolute or nested paths, unknown file names),
    so that an archive can only ever write certificate files under ``dest``. The members'
    modes, owners and times are not read: the files get the modes the task asks for.
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
                    directories[-1][1][names[parts[1]]] = content
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


def install_archive(src, dest, writer, check_mode=False, modes=None, dir_mode=None):
    """Put every directory of the archive ``src`` under ``dest``; returns ``(certificates, changed, diff)``.

    The files get ``modes`` (see ``file_modes``; the modes the archive's members carry are
    ignored), each certificate's directory ``dir_mode`` (see ``ensure_directory``).
    ``certificates`` lists each directory with its ``path``, whether it ``changed`` (its files
    or the directory itself) and its ``files`` as ``write_files`` reports them.
    """
    certificates = []
    before, after = {}, {}
    for directory, files in read_archive(src):
        target = os.path.join(dest, directory)
        target_mode = writer.mode(target)
        directory_changed = writer.ensure_directory(target, dir_mode, check_mode)
        if directory_changed:
            predicted = _shown_mode(dir_mode) if dir_mode else (target_mode or DIRECTORY_MODE)
            before[target] = {"mode": target_mode}
            after[target] = {"mode": predicted if check_mode else writer.mode(target)}
        dests = dict((kind, os.path.join(target, name)) for kind, name in ARCHIVE_NAMES if kind in files)
        written, changed, diff = write_files(dests, files, writer, check_mode=check_mode, modes=modes)
        before.update(diff["before"])
        after.update(diff["after"])
        certificates.append({"dir": directory, "path": target, "changed": changed or directory_changed,
                             "files": written})
    return certificates, any(item["changed"] for item in certificates), {"before": before, "after": after}
