"""Settings, provider configuration and the errors a misconfigured call raises."""

from __future__ import annotations

import pytest

from servicekit.llm import LLMClient, LLMSettings, ProviderNotConfigured, UnknownModel

HELLO = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize(
    ("model", "env_var"),
    [
        ("openai/gpt-4o-mini", "OPENAI_API_KEY"),
        ("mistral/mistral-small-latest", "MISTRAL_API_KEY"),
        ("deepseek/deepseek-chat", "DEEPSEEK_API_KEY"),
        ("gemini/gemini-2.5-flash", "GEMINI_API_KEY"),
        ("grok/grok-3-mini", "GROK_API_KEY"),
        ("anthropic/claude-sonnet-4-20250514", "ANTHROPIC_API_KEY"),
        ("vllm/qwen", "VLLM_BASE_URL"),
        ("llamacpp/gemma", "LLAMACPP_BASE_URL"),
    ],
)
async def test_an_unconfigured_provider_names_the_missing_env_var(make_settings, model, env_var):
    provider = model.split("/")[0]
    async with LLMClient(make_settings()) as client:
        with pytest.raises(ProviderNotConfigured) as raised:
            await client.complete(HELLO, model=model)
    assert str(raised.value) == (
        f"provider '{provider}' needs {env_var}; set it in the environment or .env"
    )


async def test_settings_come_from_the_environment(make_settings, monkeypatch):
    make_settings()  # clears the machine's own values
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("MISTRAL_BASE_URL", "http://mistral.internal/v1")
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "12.5")
    monkeypatch.setenv("LLM_PRICES", '{"openai/gpt-6-sol": [2.0, 8.0]}')

    settings = LLMSettings(_env_file=None)

    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-from-env"
    assert "sk-from-env" not in repr(settings)
    assert settings.mistral_base_url == "http://mistral.internal/v1"
    assert settings.llm_timeout_seconds == 12.5
    assert settings.llm_max_retries == 3
    assert settings.llm_prices == {"openai/gpt-6-sol": (2.0, 8.0)}
    assert LLMSettings(_env_file=None, llm_timeout_seconds=60).llm_timeout_seconds == 60


def test_a_service_can_override_timeout_and_retries(make_settings):
    client = LLMClient(make_settings(llm_timeout_seconds=60, llm_max_retries=3), timeout=15)
    assert client.timeout == 15
    assert client.retry_policy.max_retries == 3

    client = LLMClient(make_settings(llm_timeout_seconds=20, llm_max_retries=1))
    assert (client.timeout, client.retry_policy.max_retries) == (20, 1)


def test_configured_providers_lists_only_what_is_set_up(make_settings, tmp_path):
    nothing = LLMClient(make_settings(local_llm_model_path=tmp_path / "missing.gguf"))
    assert nothing.configured_providers() == []

    some = LLMClient(
        make_settings(
            openai_api_key="sk-1",
            anthropic_api_key="sk-ant-1",
            ollama_base_url="http://127.0.0.1:11434/v1",
            llamacpp_base_url="http://127.0.0.1:8080/v1",
            local_llm_model_path=tmp_path / "missing.gguf",
        )
    )
    assert some.configured_providers() == ["openai", "ollama", "llamacpp", "anthropic"]


@pytest.mark.parametrize("model", ["gpt-4o", "/gpt-4o", "openai/", "nosuch/model"])
async def test_a_malformed_or_unknown_model_id_is_rejected(make_settings, model):
    async with LLMClient(make_settings()) as client:
        with pytest.raises(UnknownModel):
            await client.complete(HELLO, model=model)


async def test_malformed_requests_fail_before_any_call(make_settings, llm_script):
    script = llm_script("never", ["unused"])
    async with LLMClient(make_settings()) as client:
        with pytest.raises(ValueError, match=r"messages\[0\]\.role"):
            await client.complete([{"role": "tool", "content": "x"}], model="scripted/never")
        with pytest.raises(ValueError, match="must not be empty"):
            await client.complete([], model="scripted/never")
        with pytest.raises(ValueError, match="not a valid JSON Schema"):
            await client.complete(HELLO, model="scripted/never", json_schema={"type": "thing"})
    assert script.calls == []
