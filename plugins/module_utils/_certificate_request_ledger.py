# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""certificate_request's ledger (option ledger_path): the orders and applications placed
through one file on the API host, under an exclusive lock held for the whole run.

The lists CAS answers (ListUserCertificateOrder, ListInstances) may trail a create by
seconds or minutes, so a run that starts before the list shows an order placed a moment ago
would place another one. Runs that share a ledger file take turns (fcntl.flock), and each
records what it placed before it ends; the next run re-reads those ids directly
(DescribeCertificateState, GetInstanceDetail), which do not lag. The ledger holds no secret:
an entry is keyed by the access key id, the site and the CAS endpoint, never by a secret or
token. It only adds to the list-based adoption, and it knows nothing of what runs on other
controllers (other files) placed.
"""

from __future__ import annotations

import datetime
import errno
import json
import os

from ansible_collections.alicloud.cas.plugins.module_utils._errors import ConfigurationError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX; the option then fails clearly
    fcntl = None

LEDGER_FORMAT = "alicloud.cas certificate_request ledger"
LEDGER_VERSION = 1
KINDS = ("order", "instance")


def ledger_identity(cas, site):
    """``(account, site, endpoint)`` of a CAS client: the access key id (never the secret or
    token), the site option and the endpoint URL it talks to."""
    rpc = getattr(cas, "rpc", None)
    credentials = getattr(rpc, "credentials", None)
    return (getattr(credentials, "access_key_id", None), site or "china", getattr(rpc, "endpoint", None))


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Ledger:
    """An open ledger file. ``writable`` is false in check mode: nothing is then written,
    and a missing file is not created (the ledger then reads as empty)."""

    def __init__(self, path, identity, fd, entries, writable):
        self.path = path
        self.account, self.site, self.endpoint = identity
        self._fd = fd
        self._entries = entries
        self.writable = writable

    @classmethod
    def open(cls, path, identity, check_mode=False):
        """Open ``path`` and take its lock (shared in check mode, exclusive otherwise), waiting
        for a run that holds it. Created 0600, its directory 0700 when created here."""
        if fcntl is None:
            raise ConfigurationError("ledger_path needs a POSIX host (fcntl.flock); remove it on this host.",
                                     "ledger_path")
        path = os.path.abspath(os.path.expanduser(path))
        try:
            if check_mode:
                if not os.path.exists(path):
                    return cls(path, identity, None, [], False)
                fd = os.open(path, os.O_RDONLY)
                fcntl.flock(fd, fcntl.LOCK_SH)
            else:
                directory = os.path.dirname(path)
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o700)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as error:
            raise ConfigurationError(
                "ledger_path %s cannot be opened and locked: %s. Give a file on the API host that this user may"
                " create and write." % (path, os.strerror(error.errno or errno.EIO)), "ledger_path") from error
        try:
            entries = cls._read(fd, path)
        except ConfigurationError:
            os.close(fd)
            raise
        return cls(path, identity, fd, entries, not check_mode)

    @staticmethod
    def _read(fd, path):
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        text = b"".join(chunks).decode("utf-8", "replace").strip()
        if not text:
            return []
        try:
            # raw_decode: a shorter ledger written over a longer one may leave bytes after it
            # when the run stopped before truncating; they are not part of the ledger.
            data, _end = json.JSONDecoder().raw_decode(text)
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("format") != LEDGER_FORMAT or \
                not isinstance(data.get("entries"), list):
            raise ConfigurationError(
                "ledger_path %s is not a certificate_request ledger (it holds something else, or was cut short)."
                " Point ledger_path to another file, or remove this one if it is a ledger: the next run then"
                " relies on CAS's lists alone, as without ledger_path." % path, "ledger_path")
        return [entry for entry in data["entries"] if isinstance(entry, dict) and entry.get("kind") in KINDS]

    def _ours(self, entry):
        return (entry.get("account"), entry.get("site"), entry.get("endpoint")) == (
            self.account, self.site, self.endpoint)

    def entries_for(self, names, kinds=KINDS):
        """This account's entries for exactly ``names`` (any order), newest first."""
        wanted = sorted(names)
        found = [(entry.get("created") or "", index, entry) for index, entry in enumerate(self._entries)
                 if self._ours(entry) and entry.get("kind") in kinds and sorted(entry.get("names") or []) == wanted]
        return [entry for _created, _index, entry in sorted(found, key=lambda item: item[:2], reverse=True)]

    def record(self, kind, entry_id, names, product_code=None):
        """Note an order or application this run placed; written at once (not in check mode)."""
        entry = {"account": self.account, "site": self.site, "endpoint": self.endpoint, "names": sorted(names),
                 "kind": kind, "id": entry_id, "created": _utc_now()}
        if product_code is not None:
            entry["product_code"] = product_code
        self._entries.append(entry)
        self._write()

    def drop(self, entry):
        """Forget an entry that is gone or can no longer be reused (not written in check mode)."""
        if entry in self._entries:
            self._entries.remove(entry)
            self._write()

    def _write(self):
        if not self.writable:
            return
        data = json.dumps({"format": LEDGER_FORMAT, "version": LEDGER_VERSION, "entries": self._entries},
                          indent=1, sort_keys=True).encode("utf-8") + b"\n"
        # Written in place: replacing the file would leave a run waiting for the lock on the old one.
        os.lseek(self._fd, 0, os.SEEK_SET)
        written = 0
        while written < len(data):
            written += os.write(self._fd, data[written:])
        os.ftruncate(self._fd, len(data))
        os.fsync(self._fd)

    def close(self):
        """Release the lock."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
