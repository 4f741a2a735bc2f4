"""Hiding secrets when settings are shown (`config list`, the API's config view)."""

from __future__ import annotations

import re

from slipstream.config.defaults import Sensitivity, find_option
from slipstream.core.sensitive import MASK, looks_sensitive

HIDDEN = "< hidden >"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def sensitivity(section: str, key: str) -> Sensitivity:
    """How `[section] key` is masked: a known setting says; an unknown one is hidden when its
    name looks like a secret's."""
    option = find_option(section, key)
    if option is not None:
        return option.sensitive
    return "secret" if looks_sensitive(key) else ""


def mask_value(section: str, key: str, value: str) -> str:
    """`value` as it may be shown: secrets hidden, URLs without their password. Empty values stay
    empty, so an unset secret is visible as unset."""
    kind = sensitivity(section, key)
    if not value or not kind:
        return value
    if kind == "url" and _URL.match(value):
        return mask_url_password(value)
    return HIDDEN


def mask_url_password(url: str) -> str:
    """The URL with its password (in the authority or a `password=` query field) replaced."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return HIDDEN
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hostport}"
    query = parts.query
    if query:
        fields = parse_qsl(query, keep_blank_values=True)
        if any(looks_sensitive(name) for name, _ in fields):
            masked = [(name, MASK if looks_sensitive(name) else v) for name, v in fields]
            query = urlencode(masked, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
