"""Secrets never reach what enrich prints or writes: registered values and key-shaped tokens are masked."""

from __future__ import annotations

import pytest

from enrich import redact as redact_module
from enrich.redact import redact, register_secret

KEY = "sk-proj-Zq8vR2mK5tX9wL3b"  # a key-shaped value
PASSWORD = "hunter2-Passw0rd!"  # a secret no shape rule would catch
NORMAL = (
    "POST https://api.example.com/v1/chat/completions failed: 429 Too Many Requests "
    "(model gpt-4.1-mini, 1203 tokens in, retry in 2.5 s) — 拆分单体应用的真实代价 drafts/xK3mP9qL2wA.md"
)


@pytest.fixture(autouse=True)
def no_known_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with nothing registered (the registry is process-wide)."""
    monkeypatch.setattr(redact_module, "_known", set())


def test_a_registered_secret_is_masked_wherever_it_appears() -> None:
    register_secret(PASSWORD)
    text = f"login {PASSWORD} failed; retried with {PASSWORD}.\nline two:{PASSWORD}"
    masked = redact(text)
    assert PASSWORD not in masked
    assert masked == "login *** failed; retried with ***.\nline two:***"


@pytest.mark.parametrize(
    "template",
    [
        "https://user:{s}@llm.internal:8443/v1",
        "https://llm.internal/openai/v1?api-key={s}&api-version=2024-06-01",
        "https://llm.internal/{s}/v1/chat/completions",
        "Authorization: Bearer {s}",
        '{{"api_key": "{s}"}}',
        "密钥{s}无效",
    ],
)
def test_a_registered_secret_is_masked_inside_urls_and_other_text(template: str) -> None:
    register_secret(PASSWORD)
    masked = redact(template.format(s=PASSWORD))
    assert PASSWORD not in masked
    assert masked == template.format(s="***")


def test_a_key_in_the_environment_is_masked_inside_openai_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "azure-7f3c1e9a"  # short and not key-shaped: only registration can catch it
    base_url = f"https://contoso.openai.azure.com/openai/deployments/gpt?api-key={key}"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    masked = redact(f"cannot reach {base_url}: connection refused")
    assert key not in masked
    assert masked == "cannot reach https://contoso.openai.azure.com/openai/deployments/gpt?api-key=***: connection refused"


@pytest.mark.parametrize("env_name", ["OPENAI_API_KEY", "ENRICH_API_KEY", "AZURE_OPENAI_API_KEY"])
def test_keys_in_the_environment_are_masked_without_registering(monkeypatch: pytest.MonkeyPatch, env_name: str) -> None:
    monkeypatch.setenv(env_name, "local-key-1234")
    assert redact("sent local-key-1234 to the endpoint") == "sent *** to the endpoint"


def test_a_secret_stays_masked_after_the_environment_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "first-key-1234")
    redact("")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert redact("old first-key-1234") == "old ***"


def test_a_secret_that_contains_another_is_masked_whole() -> None:
    register_secret("Zq8v")
    register_secret("prefix-Zq8v-suffix")
    assert redact("key=prefix-Zq8v-suffix and Zq8v") == "key=*** and ***"


def test_overlapping_secrets_leave_no_part_of_either() -> None:
    first, second = "alpha-SHARED", "SHARED-omega"
    register_secret(first)
    register_secret(second)
    masked = redact("token alpha-SHARED-omega end")
    assert "alpha" not in masked and "omega" not in masked
    assert masked.startswith("token ") and masked.endswith(" end")


def test_normal_text_is_untouched() -> None:
    register_secret(PASSWORD)
    assert redact(NORMAL) == NORMAL


@pytest.mark.parametrize("value", [None, "", "abc"])
def test_empty_and_very_short_secrets_are_not_registered(value: str | None) -> None:
    register_secret(value)  # masking every 'abc' (or every position, for '') would destroy messages
    assert redact("abc abcdef") == "abc abcdef"


@pytest.mark.parametrize(
    "key",
    [
        "sk-Zq8vR2mK",  # shortest sk- key
        "sk-proj-Zq8vR2mK5tX9wL3b_Qa-Zk",
        "sk_Zq8vR2mK5tX9wL3b",
    ],
)
def test_provider_shaped_keys_are_masked_without_registering(key: str) -> None:
    masked = redact(f"key {key} rejected")
    assert key not in masked


def test_short_sk_words_are_not_keys() -> None:
    assert redact("the risk-free rate, sk-short, desk-top") == "the risk-free rate, sk-short, desk-top"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sha 0123456789abcdef0123456789abcdef0123456789abcdef done", "sha *** done"),  # a 48-hex digest
        ("id " + "a" * 32 + ".", "id ***."),
        ("id " + "A1" * 20, "id ***"),
        ("id " + "a" * 31, "id " + "a" * 31),  # 31 is not enough
        ("path/" + "b" * 40 + "/x", "path/***/x"),
    ],
)
def test_any_run_of_32_or_more_letters_and_digits_is_masked(text: str, expected: str) -> None:
    """The current rule, documented here so a change to it is deliberate: an unregistered run of 32+
    ASCII letters and digits is treated as a key, so long hashes and ids are masked too."""
    assert redact(text) == expected


def test_a_key_shaped_token_after_chinese_text_is_masked() -> None:
    assert redact("密钥sk-proj-Zq8vR2mK5tX9wL3b无效") == "密钥***无效"


def test_redact_is_idempotent() -> None:
    register_secret(PASSWORD)
    once = redact(f"{PASSWORD} {KEY}")
    assert once == "*** ***"
    assert redact(once) == once
