"""What the task-log route needs besides reading files: continuation tokens and the formats a
client may accept.

A continuation token carries the byte position a client has read up to in one try's log,
signed with the server's secret (so clients cannot forge positions) and bound to that log (so a
token of another try is refused rather than misread).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from enum import StrEnum

__all__ = ["LogFormat", "TokenError", "negotiate", "read_token", "sign_token"]


class LogFormat(StrEnum):
    JSON = "application/json"
    NDJSON = "application/x-ndjson"
    TEXT = "text/plain"


_MEDIA = {
    "application/json": LogFormat.JSON,
    "application/*": LogFormat.JSON,
    "*/*": LogFormat.JSON,
    "application/x-ndjson": LogFormat.NDJSON,
    "text/plain": LogFormat.TEXT,
    "text/*": LogFormat.TEXT,
}


def negotiate(accept: str | None) -> LogFormat | None:
    """The first format of the `Accept` header we serve (JSON without a header); None when it
    names none of them."""
    if not accept or not accept.strip():
        return LogFormat.JSON
    for item in accept.split(","):
        media = item.split(";", 1)[0].strip().lower()
        if media in _MEDIA:
            return _MEDIA[media]
    return None


class TokenError(ValueError):
    """A continuation token that is malformed, forged or of another log."""


def sign_token(secret: str, log_id: str, position: int) -> str:
    """A token saying the client has read `log_id` up to byte `position`."""
    payload = _b64(json.dumps({"log": _digest(log_id), "pos": position}).encode())
    return f"{payload}.{_b64(_mac(secret, payload))}"


def read_token(secret: str, log_id: str, token: str) -> int:
    """The position a token of `log_id` carries; `TokenError` when it is not one."""
    payload, _, signature = token.partition(".")
    try:
        valid = hmac.compare_digest(_unb64(signature), _mac(secret, payload))
        data = json.loads(_unb64(payload)) if valid else None
    except (ValueError, binascii.Error):
        valid, data = False, None
    if not valid or not isinstance(data, dict) or not isinstance(data.get("pos"), int):
        raise TokenError("Bad Signature. Please use only the tokens provided by the API.")
    if data.get("log") != _digest(log_id):
        raise TokenError("The continuation token belongs to the log of another task try.")
    return max(int(data["pos"]), 0)


def _mac(secret: str, payload: str) -> bytes:
    key = hashlib.sha256(f"slipstream-task-log-token:{secret}".encode()).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()


def _digest(log_id: str) -> str:
    return hashlib.sha256(log_id.encode()).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
