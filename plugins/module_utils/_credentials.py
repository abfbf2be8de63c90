# Copyright (c) alicloud.cas contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is PRIVATE to the collection. It can change at any time.

"""Find the Alibaba Cloud credentials a module should sign with.

Sources are tried in a fixed order and the first complete one wins: module options,
environment variables, an aliyun CLI profile file, then an ECS RAM role. A source that
is half-configured is an error rather than a silent skip, because falling through to a
different identity is harder to debug than a clear message.

Credentials from the ECS metadata service expire (they carry an Expiration) and can be
read again; a CredentialsProvider hands out current ones for each request. Static STS
tokens (options, environment, an StsToken profile) cannot be renewed by the collection.

Secrets, tokens and file contents never appear in a message or a repr.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
from dataclasses import dataclass, field
from urllib.parse import quote

from ansible_collections.alicloud.cas.plugins.module_utils._errors import CredentialsError, scrub
from ansible_collections.alicloud.cas.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, requests

DEFAULT_METADATA_URL = "http://100.100.100.200"
IMDS_TOKEN_TTL_SECONDS = "21600"

SOURCE_OPTIONS = "module options"

# (label, id variable, secret variable, token variable). Each family is read on its own
# so that an id from one convention is never paired with a secret from another.
_ENV_FAMILIES = (
    ("environment (ALIBABA_CLOUD_*)", "ALIBABA_CLOUD_ACCESS_KEY_ID",
     "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
    ("environment (ALICLOUD_*)", "ALICLOUD_ACCESS_KEY",
     "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN"),
)
_PROFILE_ENVS = ("ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE")
_CREDENTIALS_FILE_ENV = "ALICLOUD_SHARED_CREDENTIALS_FILE"
_ECS_ROLE_ENVS = ("ALIBABA_CLOUD_ECS_METADATA", "ALICLOUD_ECS_ROLE_NAME")
_IMDSV1_DISABLED_ENV = "ALIBABA_CLOUD_IMDSV1_DISABLED"

_UNSUPPORTED_MODE_HINT = (
    "Supported modes are AK, StsToken and EcsRamRole. For a role to assume, obtain STS"
    " credentials first (for example with `aliyun sts AssumeRole`) and pass them as"
    " access_key_id/access_key_secret/security_token, or use a profile in AK or StsToken mode."
)
_HOW_TO_FIX = (
    "Set the access_key_id and access_key_secret options (plus security_token for STS),"
    " export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, create a"
    " profile with `aliyun configure`, or set ecs_role_name on an ECS instance with an"
    " attached RAM role."
)


@dataclass(frozen=True)
class Credentials:
    """An access key pair, optionally with an STS token, and where it came from."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)
    source: str = "unspecified"
    # When the service stops accepting them (aware UTC), if the source says so.
    expiration: datetime.datetime | None = None
    # Whether resolving again can give fresh ones (true for the ECS metadata service).
    renewable: bool = False

    def __repr__(self):
        # Written out rather than generated so that adding a field later cannot leak it.
        return "Credentials(access_key_id=%r, security_token=%s, source=%r, expiration=%s)" % (
            self.access_key_id,
            "<set>" if self.security_token else "None",
            self.source,
            self.expiration.strftime("%Y-%m-%dT%H:%M:%SZ") if self.expiration else "None",
        )

    __str__ = __repr__


def resolve_credentials(options, environ=None, home=None, metadata_url=None, session=None, timeout=1.0):
    """Return the first complete Credentials from the chain, or raise CredentialsError.

    ``options`` maps access_key_id, access_key_secret, security_token, profile,
    credentials_file and ecs_role_name to values or None. The metadata service is
    contacted only when an ECS role is configured.
    """
    options = options or {}
    environ = os.environ if environ is None else environ
    home = os.path.expanduser("~") if home is None else home
    metadata_url = (metadata_url or DEFAULT_METADATA_URL).rstrip("/")
    imds = _Imds(metadata_url, session, timeout, _is_true(environ.get(_IMDSV1_DISABLED_ENV)))
    tried = []

    creds = _from_options(options, tried)
    if creds is None:
        creds = _from_environment(environ, tried)
    if creds is None:
        creds = _from_profile_file(options, environ, home, imds, tried)
    if creds is None:
        creds = _from_ecs_role(options, environ, imds, tried)
    if creds is None:
        raise CredentialsError(
            "No Alibaba Cloud credentials found. Tried, in order: %s. %s" % ("; ".join(tried), _HOW_TO_FIX),
            tried=tried,
        )
    return creds


def _value(mapping, key):
    """A setting's value, with empty strings treated as unset (``export X=`` is common)."""
    value = mapping.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _first_value(mapping, keys):
    """(key, value) of the first key that has a value, else (None, None)."""
    for key in keys:
        value = _value(mapping, key)
        if value is not None:
            return key, value
    return None, None


def _is_true(value):
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def _from_options(options, tried):
    tried.append("module options access_key_id/access_key_secret")
    key_id = _value(options, "access_key_id")
    secret = _value(options, "access_key_secret")
    token = _value(options, "security_token")
    if key_id and secret:
        return Credentials(key_id, secret, token, SOURCE_OPTIONS)
    if key_id or secret:
        missing = "access_key_secret" if key_id else "access_key_id"
        given = "access_key_id" if key_id else "access_key_secret"
        raise CredentialsError(
            "The %s option is set but %s is not; set both, or neither to use another"
            " credential source." % (given, missing),
            tried=tried,
        )
    if token:
        # A token alone cannot sign anything; ignoring it would hide a typo.
        raise CredentialsError(
            "The security_token option is set but access_key_id and access_key_secret are"
            " not; an STS token must come with the access key it was issued for.",
            tried=tried,
        )
    return None


def _from_environment(environ, tried):
    for label, id_var, secret_var, token_var in _ENV_FAMILIES:
        tried.append("environment %s/%s" % (id_var, secret_var))
        key_id = _value(environ, id_var)
        secret = _value(environ, secret_var)
        if key_id and secret:
            return Credentials(key_id, secret, _value(environ, token_var), label)
        if key_id or secret:
            raise CredentialsError(
                "The environment variable %s is set but %s is not. Set both (variables of"
                " the ALIBABA_CLOUD_* and ALICLOUD_* conventions are not combined), or unset"
                " it to use another credential source."
                % ((id_var, secret_var) if key_id else (secret_var, id_var)),
                tried=tried,
            )
    return None


def _credentials_file_path(options, environ, home):
    """(path, explicit): the profile file to read and whether the user named it."""
    path = _value(options, "credentials_file")
    if path is None:
        path = _value(environ, _CREDENTIALS_FILE_ENV)
    if path is None:
        return os.path.join(home, ".aliyun", "config.json"), False
    if path == "~" or path.startswith("~/"):
        # Expand against ``home`` (not the process's HOME) so callers control it.
        path = os.path.join(home, path[2:])
    return path, True


def _requested_profile(options, environ):
    """(name, how it was requested) of an explicitly chosen profile, else (None, None)."""
    name = _value(options, "profile")
    if name is not None:
        return name, "the profile option"
    env, name = _first_value(environ, _PROFILE_ENVS)
    if name is not None:
        return name, env
    return None, None


def _from_profile_file(options, environ, home, imds, tried):
    path, explicit_path = _credentials_file_path(options, environ, home)
    requested, requested_by = _requested_profile(options, environ)

    if not os.path.exists(path):
        tried.append("profile file %s (not found)" % path)
        if requested is not None:
            raise CredentialsError(
                "Profile '%s' was requested by %s but the profile file %s does not exist."
                " Create it with `aliyun configure --profile %s` or set credentials_file."
                % (requested, requested_by, path, requested),
                tried=tried,
            )
        if explicit_path:
            raise CredentialsError(
                "The profile file %s does not exist. Check credentials_file or %s."
                % (path, _CREDENTIALS_FILE_ENV),
                tried=tried,
            )
        return None

    config = _load_profile_file(path, tried)
    name = requested or _value(config, "current") or "default"
    profile = _find_profile(config, name, path, tried)
    if profile is None:
        tried.append("profile file %s (no profile '%s')" % (path, name))
        if requested is not None:
            raise CredentialsError(
                "Profile '%s' was requested by %s but %s has no profile of that name."
                % (name, requested_by, path),
                tried=tried,
            )
        # The CLI leaves a file without usable profiles behind after an aborted
        # `aliyun configure`; that should not block the remaining sources.
        return None

    tried.append("profile '%s' in %s" % (name, path))
    return _credentials_from_profile(profile, name, path, imds, tried)


def _load_profile_file(path, tried):
    try:
        # utf-8-sig: editors on Windows like to add a BOM.
        with open(path, encoding="utf-8-sig") as handle:
            config = json.load(handle)
    except ValueError as exc:
        # Only the position, never the text: the file holds secrets.
        where = " (line %s column %s)" % (exc.lineno, exc.colno) if hasattr(exc, "lineno") else ""
        tried.append("profile file %s (malformed)" % path)
        raise CredentialsError(
            "The profile file %s is not valid JSON%s. Fix or recreate it with `aliyun configure`."
            % (path, where),
            tried=tried,
        )
    except OSError as exc:
        tried.append("profile file %s (unreadable)" % path)
        raise CredentialsError(
            "The profile file %s cannot be read: %s." % (path, exc.strerror or type(exc).__name__),
            tried=tried,
        )
    if not isinstance(config, dict) or not isinstance(config.get("profiles", []), list):
        tried.append("profile file %s (malformed)" % path)
        raise CredentialsError(
            "The profile file %s is not an aliyun CLI configuration (expected an object"
            " with a 'profiles' list)." % path,
            tried=tried,
        )
    return config


def _find_profile(config, name, path, tried):
    for profile in config.get("profiles") or []:
        if not isinstance(profile, dict):
            tried.append("profile file %s (malformed)" % path)
            raise CredentialsError(
                "The profile file %s is not an aliyun CLI configuration (a 'profiles'"
                " entry is not an object)." % path,
                tried=tried,
            )
        if profile.get("name") == name:
            return profile
    return None


def _credentials_from_profile(profile, name, path, imds, tried):
    # The CLI creates profiles in AK mode when none is given, and matches case-insensitively.
    mode = _value(profile, "mode") or "AK"
    where = "profile '%s' in %s" % (name, path)
    lowered = mode.lower()

    if lowered in ("ak", "ststoken"):
        required = ["access_key_id", "access_key_secret"]
        if lowered == "ststoken":
            required.append("sts_token")
        missing = [key for key in required if _value(profile, key) is None]
        if missing:
            raise CredentialsError(
                "The %s (mode %s) has no %s. Run `aliyun configure --profile %s` to complete it."
                % (where, mode, ", ".join(missing), name),
                tried=tried,
            )
        token = _value(profile, "sts_token") if lowered == "ststoken" else None
        return Credentials(_value(profile, "access_key_id"), _value(profile, "access_key_secret"), token, where)

    if lowered == "ecsramrole":
        role = _value(profile, "ram_role_name")
        if role is None:
            raise CredentialsError(
                "The %s (mode EcsRamRole) has no ram_role_name." % where,
                tried=tried,
            )
        return imds.fetch(role, "ECS RAM role '%s' (from %s)" % (role, where), tried)

    raise CredentialsError(
        "The %s uses mode %s, which this collection does not support. %s"
        % (where, mode, _UNSUPPORTED_MODE_HINT),
        tried=tried,
    )


def _from_ecs_role(options, environ, imds, tried):
    role = _value(options, "ecs_role_name")
    if role is None:
        _env, role = _first_value(environ, _ECS_ROLE_ENVS)
    if role is None:
        # Never probe the metadata service unasked: off ECS it costs a timeout per run.
        tried.append("ECS RAM role (ecs_role_name not set)")
        return None
    tried.append("ECS RAM role '%s'" % role)
    return imds.fetch(role, "ECS RAM role '%s'" % role, tried)


class _Imds:
    """Reads RAM role credentials from the ECS instance metadata service."""

    # The metadata address is only reachable directly; an HTTP(S)_PROXY from the
    # environment would send the request (and the answer's secrets) elsewhere.
    _NO_PROXY = {"http": None, "https": None, "all": None}

    def __init__(self, base_url, session, timeout, v1_disabled):
        self.base_url = base_url
        self.session = session
        self.timeout = timeout
        self.v1_disabled = v1_disabled

    def fetch(self, role, source, tried):
        if not HAS_REQUESTS:
            raise CredentialsError(
                "Reading ECS RAM role credentials needs the Python library requests: %s"
                % REQUESTS_IMPORT_ERROR,
                tried=tried,
            )
        session = self.session or requests.Session()
        try:
            headers = {}
            token = self._token(session)
            if token is not None:
                headers["X-aliyun-ecs-metadata-token"] = token
            elif self.v1_disabled:
                raise CredentialsError(
                    "Could not get an IMDSv2 token from the ECS metadata service at %s, and"
                    " %s=true forbids requests without one. Check that this host is an ECS"
                    " instance with the metadata service enabled." % (self.base_url, _IMDSV1_DISABLED_ENV),
                    tried=tried,
                )
            data = self._credentials(session, role, headers, tried)
        finally:
            if self.session is None:
                session.close()
        return self._parse(data, role, source, tried)

    def _token(self, session):
        """The IMDSv2 session token, or None when the service would not give one."""
        try:
            response = session.put(
                self.base_url + "/latest/api/token",
                headers={"X-aliyun-ecs-metadata-token-ttl-seconds": IMDS_TOKEN_TTL_SECONDS},
                timeout=self.timeout,
                proxies=self._NO_PROXY,
                allow_redirects=False,
            )
        except requests.RequestException:
            return None
        token = response.text.strip() if response.status_code == 200 else ""
        return token or None

    def _credentials(self, session, role, headers, tried):
        url = "%s/latest/meta-data/ram/security-credentials/%s" % (self.base_url, quote(role, safe=""))
        try:
            response = session.get(
                url, headers=headers, timeout=self.timeout, proxies=self._NO_PROXY, allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise CredentialsError(
                "Could not reach the ECS metadata service at %s for RAM role '%s' (%s). ecs_role_name"
                " only works on an ECS instance." % (self.base_url, role, scrub(type(exc).__name__)),
                tried=tried,
            )
        if response.status_code == 404:
            raise CredentialsError(
                "The ECS metadata service knows no RAM role '%s' (HTTP 404). Check ecs_role_name"
                " and that the role is attached to this instance." % role,
                tried=tried,
            )
        if response.status_code != 200:
            raise CredentialsError(
                "The ECS metadata service answered HTTP %s for RAM role '%s'." % (response.status_code, role),
                tried=tried,
            )
        try:
            return response.json()
        except ValueError:
            raise CredentialsError(
                "The ECS metadata service sent an answer for RAM role '%s' that is not JSON." % role,
                tried=tried,
            )

    @staticmethod
    def _parse(data, role, source, tried):
        if not isinstance(data, dict):
            raise CredentialsError(
                "The ECS metadata service sent an answer for RAM role '%s' that is not a JSON object." % role,
                tried=tried,
            )
        code = data.get("Code")
        if code != "Success":
            # Code is a status word, safe to show; the rest of the answer may not be.
            raise CredentialsError(
                "The ECS metadata service did not issue credentials for RAM role '%s' (Code %s)."
                % (role, scrub(code)[:64] if isinstance(code, str) else type(code).__name__),
                tried=tried,
            )
        keys = ("AccessKeyId", "AccessKeySecret", "SecurityToken")
        missing = [key for key in keys if _value(data, key) is None]
        if missing:
            raise CredentialsError(
                "The ECS metadata answer for RAM role '%s' lacks %s." % (role, ", ".join(missing)),
                tried=tried,
            )
        return Credentials(_value(data, "AccessKeyId"), _value(data, "AccessKeySecret"),
                           _value(data, "SecurityToken"), source,
                           expiration=_parse_expiration(data.get("Expiration")), renewable=True)


def _parse_expiration(value):
    """The metadata service's ``Expiration`` (2026-01-02T03:04:05Z) as aware UTC, else None.

    An unreadable value is not fatal: the credentials are then renewed only when the service
    rejects them as expired.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return parsed.replace(tzinfo=datetime.timezone.utc)


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


# The official credentials library treats ECS role credentials as stale 15 minutes before
# they expire (alibabacloud-credentials, ecs_ram_role provider); the margin also covers a
# request that is retried for a while after it was signed.
RENEW_BEFORE = datetime.timedelta(minutes=15)
# The metadata service rotates credentials on its own schedule; until it does, asking again
# on every request of a polling loop would only add a round trip each time.
RENEW_INTERVAL = datetime.timedelta(seconds=60)


class CredentialsProvider:
    """The credentials to sign each request with, renewed before they expire when possible.

    ``resolve`` is called without arguments to resolve the credentials again; it is only
    used when the credentials are ``renewable``. ``on_resolved`` (optional) is called with
    every set of credentials obtained by renewal, for example to hide their secrets from
    the module's output.
    """

    def __init__(self, credentials, resolve=None, on_resolved=None, now=_utc_now,
                 renew_before=RENEW_BEFORE, renew_interval=RENEW_INTERVAL):
        self._credentials = credentials
        self._resolve = resolve
        self._on_resolved = on_resolved
        self._now = now
        self._renew_before = renew_before
        self._renew_interval = renew_interval
        self._last_renewal = None
        # One provider signs the calls of several threads (the deployment engine's lanes):
        # credentials due for renewal are renewed once, not once per thread.
        self._lock = threading.RLock()

    @property
    def renewable(self):
        return self._resolve is not None and self._credentials.renewable

    def current(self):
        """Credentials for the next request: renewed first when they are about to expire."""
        if not self.renewable:
            return self._credentials
        with self._lock:
            return self._current()

    def _current(self):
        credentials = self._credentials
        if self.renewable and credentials.expiration is not None and self._due():
            try:
                self._renew()
            except CredentialsError:
                # The old ones still work for a while: use them and try again later.
                if self._now() >= credentials.expiration:
                    raise
        return self._credentials

    def renew_rejected(self, rejected):
        """Fresh credentials after the service rejected ``rejected`` as expired, else None.

        None means they cannot be renewed, or that resolving again gave the same ones.
        """
        if not self.renewable:
            return None
        with self._lock:
            if self._credentials is rejected:
                self._renew()
            renewed = self._credentials
        if (renewed.access_key_id, renewed.security_token) == (rejected.access_key_id, rejected.security_token):
            return None
        return renewed

    def _due(self):
        now = self._now()
        if self._credentials.expiration - now > self._renew_before:
            return False
        return self._last_renewal is None or now - self._last_renewal >= self._renew_interval

    def _renew(self):
        self._last_renewal = self._now()
        self._credentials = self._resolve()
        if self._on_resolved is not None:
            self._on_resolved(self._credentials)


def credentials_provider(options, on_resolved=None, **resolve_kwargs):
    """Resolve credentials now (so configuration errors come before any call) and return a
    CredentialsProvider that resolves them the same way again when they need renewal.

    ``resolve_kwargs`` are passed to resolve_credentials; ``on_resolved`` is called with the
    first and every later set of credentials.
    """
    options = dict(options or {})

    def resolve():
        return resolve_credentials(options, **resolve_kwargs)

    credentials = resolve()
    if on_resolved is not None:
        on_resolved(credentials)
    return CredentialsProvider(credentials, resolve, on_resolved=on_resolved)
