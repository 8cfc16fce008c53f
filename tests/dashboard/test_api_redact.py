"""Values under secret-looking keys never reach a screen."""

from __future__ import annotations

from jobs.api.redact import REDACTED, TOO_DEEP, is_secret, redact


def test_secret_looking_keys() -> None:
    for key in ["password", "Password", "db_passwd", "token", "accessToken", "client_secret", "api_key",
                "apiKey", "private_key", "Authorization", "auth", "session_id", "credentials"]:  # fmt: skip
        assert is_secret(key), key
    for key in ["user", "email", "count", "author", "mood"]:
        assert not is_secret(key), key


def test_redact_copies_nested_structures() -> None:
    value = [{"token": "t", "items": [{"secret": 1}, {"name": "ok"}]}, "plain"]
    assert redact(value) == [
        {"token": REDACTED, "items": [{"secret": REDACTED}, {"name": "ok"}]},
        "plain",
    ]
    assert value[0]["token"] == "t"


def test_deep_nesting_is_cut_not_a_recursion_error() -> None:
    value: object = "x"
    for _ in range(900):
        value = [value]
    text = repr(redact(value))
    assert TOO_DEEP in text
