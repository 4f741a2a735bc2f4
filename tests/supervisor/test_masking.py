"""Secrets a task reads are hidden in its log lines."""

from __future__ import annotations

import io
import json
import logging

from slipstream.supervisor.masking import MASK, MaskingFilter, SecretsMasker


def test_connection_passwords_and_sensitive_extras_are_masked() -> None:
    masker = SecretsMasker()
    masker.add_connection(
        {
            "password": "p@ss word/1",
            "extra": json.dumps({"api_key": "key-123456", "region": "eu-west-1"}),
        }
    )
    text = "login with p@ss word/1 (p%40ss%20word%2F1) key-123456 in eu-west-1"
    assert masker.redact(text) == f"login with {MASK} ({MASK}) {MASK} in eu-west-1"


def test_variables_are_masked_when_their_name_looks_sensitive() -> None:
    masker = SecretsMasker(["mycompany"])
    masker.add_variable("db_password", "value-one")
    masker.add_variable("MYCOMPANY_THING", "value-two")
    masker.add_variable("region", "value-three")
    masker.add_variable("settings", json.dumps({"nested": {"secret": "value-four"}}))
    redacted = masker.redact("value-one value-two value-three value-four")
    assert redacted == f"{MASK} {MASK} value-three {MASK}"


def test_short_secrets_are_left_alone_and_masking_can_be_off() -> None:
    masker = SecretsMasker(min_length=5)
    masker.add("abc")
    assert masker.redact("abc") == "abc"
    off = SecretsMasker(enabled=False)
    off.add("long-enough-secret")
    assert off.redact("long-enough-secret") == "long-enough-secret"


def test_environment_variables_and_connections_are_masked() -> None:
    masker = SecretsMasker()
    masker.add_environment(
        {
            "AIRFLOW_CONN_WAREHOUSE": "postgres://user:env-pass-1@host/db",
            "SLIPSTREAM_VAR_API_TOKEN": "tok-7654321",
            "SLIPSTREAM_VAR_COLOUR": "green-blue",
            "HOME": "/root/secret-home",
        }
    )
    assert masker.redact("env-pass-1 tok-7654321 green-blue /root/secret-home") == (
        f"{MASK} {MASK} green-blue /root/secret-home"
    )


def test_the_filter_masks_messages_arguments_and_tracebacks() -> None:
    masker = SecretsMasker()
    masker.add("hunter2-secret")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter(masker))
    logger = logging.getLogger("test.masking")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("password %s", "hunter2-secret")
        try:
            raise ValueError("hunter2-secret leaked")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "hunter2-secret" not in output
    assert "password ***" in output and "ValueError: *** leaked" in output
