"""The run form read into the API's request, and what it refuses."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from galileo_arena.web.run_form import RunFormState, state_from_query
from servicekit.errors import Unprocessable


def form(**fields: str | list[str]) -> FormData:
    items = [
        (key, value)
        for key, values in fields.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    return FormData(items)


def test_one_case_several_cases_or_the_whole_dataset() -> None:
    common = {"dataset_id": "climate_v1", "models": ["openai/gpt-4o"], "concurrency": "3"}

    one = RunFormState.from_form(form(**common, selection="one", case_id="CL01")).to_request()
    several = RunFormState.from_form(
        form(**common, selection="several", case_ids=["CL02", "CL03"], case_id="CL01")
    ).to_request()
    whole = RunFormState.from_form(form(**common, selection="all", case_id="CL01")).to_request()

    assert (one.case_id, one.case_ids) == ("CL01", None)
    assert (several.case_id, several.case_ids) == (None, ["CL02", "CL03"])
    assert (whole.case_id, whole.case_ids) == (None, None)
    assert one.concurrency == 3
    assert [model.key for model in one.models] == ["openai/gpt-4o"]
    assert one.judge_model is None
    judged = RunFormState.from_form(
        form(**common, selection="all", judge_model="anthropic/claude-sonnet-4")
    ).to_request()
    assert judged.judge_model is not None and judged.judge_model.key == "anthropic/claude-sonnet-4"


def test_typed_models_join_the_ticked_ones_once() -> None:
    state = RunFormState.from_form(
        form(
            dataset_id="d",
            selection="all",
            models=["ollama/llama3"],
            other_models=" ollama/llama3, vllm/qwen  mistral/mistral-small ",
            concurrency="1",
        )
    )

    assert state.model_keys() == ["ollama/llama3", "vllm/qwen", "mistral/mistral-small"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"selection": "one", "case_id": "CL01"}, "choose at least one model"),
        ({"selection": "one", "models": "a/b"}, "choose a case"),
        ({"selection": "several", "models": "a/b"}, "tick at least one case"),
        ({"selection": "some", "models": "a/b"}, "choose one case, several cases"),
        ({"selection": "all", "models": "a/b", "concurrency": "x"}, "at least 1"),
        ({"selection": "all", "models": "nope"}, "models: a model is 'provider/model_name'"),
        ({"selection": "all", "models": "Bad Provider/x"}, "models.provider"),
        ({"selection": "all", "models": "a/b", "dataset_id": ""}, "choose a dataset"),
    ],
)
def test_refusals_say_what_to_fix(fields: dict[str, str], message: str) -> None:
    values = {"dataset_id": "climate_v1", "concurrency": "2", **fields}

    with pytest.raises(Unprocessable) as refused:
        RunFormState.from_form(form(**values)).to_request()

    assert message in refused.value.message
    assert refused.value.status_code == 422


def test_links_prefill_the_form() -> None:
    assert state_from_query({"dataset_id": "x", "case_id": "C1"}).case_id == "C1"
    assert state_from_query({"dataset_id": "x", "selection": "all"}).selection == "all"
    assert state_from_query({"selection": "bogus"}).selection == "one"
