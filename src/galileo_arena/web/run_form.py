"""The run form: what the browser posts, read into the API's ``RunCreate``.

The form chooses cases one of three ways (one case, several, the whole dataset) and models as
checkboxes plus a free "other models" field for self-hosted servers. Everything the API would
reject is rejected here with the same words, so the form can be shown again with the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import ValidationError

from galileo_arena.runs.schemas import RunCreate
from servicekit.errors import Unprocessable

SELECTIONS = ("one", "several", "all")
_SEPARATORS = re.compile(r"[\s,]+")


class FormValues(Protocol):
    def get(self, key: str, default: str = "") -> object: ...
    def getlist(self, key: str) -> Sequence[object]: ...


@dataclass(slots=True)
class RunFormState:
    """What the user chose, kept to show the form again as it was."""

    dataset_id: str = ""
    selection: str = "one"
    case_id: str = ""
    case_ids: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    other_models: str = ""
    judge_model: str = ""
    concurrency: int = 2

    @classmethod
    def from_form(cls, form: FormValues) -> RunFormState:
        def text(key: str) -> str:
            value = form.get(key, "")
            return value.strip() if isinstance(value, str) else ""

        concurrency = text("concurrency")
        return cls(
            dataset_id=text("dataset_id"),
            selection=text("selection") or "one",
            case_id=text("case_id"),
            case_ids=[v for v in form.getlist("case_ids") if isinstance(v, str) and v],
            models=[v for v in form.getlist("models") if isinstance(v, str) and v],
            other_models=text("other_models"),
            judge_model=text("judge_model"),
            concurrency=int(concurrency) if concurrency.isdigit() else 0,
        )

    def model_keys(self) -> list[str]:
        typed = [key for key in _SEPARATORS.split(self.other_models) if key]
        return list(dict.fromkeys([*self.models, *typed]))

    def to_request(self) -> RunCreate:
        """The API request; ``Unprocessable`` (422) names what to fix."""
        if not self.dataset_id:
            raise Unprocessable("choose a dataset")
        if self.selection not in SELECTIONS:
            raise Unprocessable("choose one case, several cases or the whole dataset")
        if not self.model_keys():
            raise Unprocessable("choose at least one model")
        if self.concurrency < 1:
            raise Unprocessable("parallel debates must be a whole number of at least 1")
        body: dict[str, object] = {
            "dataset_id": self.dataset_id,
            "models": self.model_keys(),
            "concurrency": self.concurrency,
        }
        if self.judge_model:
            body["judge_model"] = self.judge_model
        if self.selection == "one":
            if not self.case_id:
                raise Unprocessable("choose a case")
            body["case_id"] = self.case_id
        elif self.selection == "several":
            if not self.case_ids:
                raise Unprocessable("tick at least one case")
            body["case_ids"] = self.case_ids
        try:
            return RunCreate.model_validate(body)
        except ValidationError as error:
            raise Unprocessable(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"] if not isinstance(part, int))
        message = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def state_from_query(params: Mapping[str, str]) -> RunFormState:
    """The form pre-filled from a link such as ``?dataset_id=climate_v1&case_id=CL01``."""
    return RunFormState(
        dataset_id=params.get("dataset_id", ""),
        case_id=params.get("case_id", ""),
        selection="all" if params.get("selection") == "all" else "one",
    )
