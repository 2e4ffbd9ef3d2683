"""Request and response bodies of the runs API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RunStatus = Literal["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"COMPLETED", "FAILED", "CANCELLED"})

_MODEL_PART = r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$"


class ModelSpec(BaseModel):
    """One model to evaluate. Keys are the server's own: there is no field naming a secret."""

    model_config = ConfigDict(extra="forbid")

    provider: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_-]*$")
    model_name: str = Field(min_length=1, max_length=200, pattern=_MODEL_PART)

    @model_validator(mode="before")
    @classmethod
    def _from_key(cls, value: Any) -> Any:
        if isinstance(value, str):
            provider, sep, name = value.partition("/")
            if not sep:
                raise ValueError("a model is 'provider/model_name', e.g. 'openai/gpt-4o'")
            return {"provider": provider, "model_name": name}
        if isinstance(value, dict) and "api_key_env" in value:
            raise ValueError(
                "api_key_env is not accepted: the server uses its own key for each provider "
                "(OPENAI_API_KEY, ANTHROPIC_API_KEY, ...)"
            )
        return value

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.model_name}"


class RunCreate(BaseModel):
    """One case (``case_id``), several (``case_ids``) or the whole dataset (neither)."""

    model_config = ConfigDict(extra="forbid")

    dataset_id: str = Field(min_length=1, max_length=64)
    case_id: str | None = Field(default=None, min_length=1, max_length=128)
    case_ids: list[str] | None = Field(default=None, min_length=1)
    models: list[ModelSpec] = Field(min_length=1)
    mode: Literal["debate"] = "debate"
    judge_model: ModelSpec | None = None
    """An independent judge; by default each model judges its own debate (``JUDGE_MODEL``)."""
    concurrency: int = Field(default=2, ge=1)

    @field_validator("case_ids")
    @classmethod
    def _unique_cases(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("case_ids contains duplicates")
        return value

    @field_validator("models")
    @classmethod
    def _unique_models(cls, value: list[ModelSpec]) -> list[ModelSpec]:
        keys = [model.key for model in value]
        if len(set(keys)) != len(keys):
            raise ValueError("models contains duplicates")
        return value

    @model_validator(mode="after")
    def _one_selection(self) -> RunCreate:
        if self.case_id is not None and self.case_ids is not None:
            raise ValueError("give case_id or case_ids, not both")
        return self


class RunCreated(BaseModel):
    run_id: str
    status: RunStatus
    message: str
    total_cases: int
    total_llm_cost: float = 0.0


class ModelRef(BaseModel):
    provider: str
    model_name: str


class RunInfo(BaseModel):
    run_id: str
    dataset_id: str
    dataset_version: str
    status: RunStatus
    models: list[ModelRef]
    case_id: str
    case_ids: list[str]
    judge_model: str | None
    scoring_mode: str
    rubric_version: str
    prompt_version: str
    progress: dict[str, int]
    """``{"completed", "failed", "cancelled", "running", "pending", "total"}`` work items."""
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total_llm_cost: float
    debug_mode: bool


class RunPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[RunInfo]


class RunSummary(BaseModel):
    run_id: str
    status: RunStatus
    scoring_mode: str
    total_cases: int
    """Distinct cases of the run (not result rows)."""
    completed_items: int
    total_items: int
    models: list[dict[str, Any]]
    total_llm_cost: float
    debug_mode: bool


class CaseRow(BaseModel):
    case_id: str
    model_key: str
    outcome: str
    verdict: str | None
    label: str | None
    """None for an ``error`` outcome: a case nobody answered is not scored, so not revealed."""
    score: int
    passed: bool
    confidence: float | None
    pressure_score: int
    latency_ms: int
    cost_estimate: float
    critical_fail_reason: str | None
    error: str | None


class CasePage(BaseModel):
    total: int
    total_llm_cost: float
    cases: list[CaseRow]


class MessageOut(BaseModel):
    role: str
    model_key: str
    phase: str
    round: int
    content: str
    valid: bool
    retried: bool
    created_at: datetime


class ResultOut(CaseRow):
    evidence_used: list[str]
    judge_json: dict[str, Any]
    score_breakdown: dict[str, Any]
    scoring_mode: str
    rubric_version: str
    prompt_hash: str
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    from_cache: bool


class CaseDetail(BaseModel):
    case_id: str
    topic: str
    claim: str
    pressure_score: int
    evidence_packets: list[dict[str, Any]]
    label: str | None
    """Shown once at least one model's result for the case exists, never before."""
    status: list[dict[str, Any]]
    total_llm_cost: float
    messages: list[MessageOut]
    results: list[ResultOut]
