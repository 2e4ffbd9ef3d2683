"""Bodies of workspaces, teammates, assistants, instructions and knowledge bases."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oyl.answers.orchestration import OrchestrationConfig

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
ModelName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9_-]+/.+$", max_length=255)
]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    description: str
    created_at: datetime
    updated_at: datetime


class WorkspaceCreate(BaseModel):
    name: Name
    description: Description = ""


class WorkspaceUpdate(BaseModel):
    name: Name | None = None
    description: Description | None = None


class WorkspaceOut(_Out):
    pass


class TeammateCreate(BaseModel):
    name: Name
    description: Description = ""
    orchestration_config: OrchestrationConfig = Field(default_factory=OrchestrationConfig)


class TeammateUpdate(BaseModel):
    name: Name | None = None
    description: Description | None = None
    orchestration_config: OrchestrationConfig | None = None


class TeammateOut(_Out):
    workspace_id: uuid.UUID
    orchestration_config: dict[str, Any]


class AssistantCreate(BaseModel):
    name: Name
    description: Description = ""
    model: ModelName | None = None
    """``provider/model`` for this assistant; default: the mode's model (FAST_MODEL...)."""
    instruction: Annotated[str, StringConstraints(max_length=20000)] | None = None
    knowledge_base_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class AssistantUpdate(BaseModel):
    name: Name | None = None
    description: Description | None = None
    model: ModelName | None = None


class AssistantOut(_Out):
    teammate_id: uuid.UUID
    model: str | None
    instruction: str | None
    knowledge_base_ids: list[uuid.UUID]


class InstructionBody(BaseModel):
    system_prompt: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)
    ]


class InstructionOut(BaseModel):
    assistant_id: uuid.UUID
    system_prompt: str | None
    updated_at: datetime | None


class KnowledgeBaseCreate(BaseModel):
    name: Name
    description: Description = ""


class KnowledgeBaseUpdate(BaseModel):
    name: Name | None = None
    description: Description | None = None


class KnowledgeBaseOut(_Out):
    workspace_id: uuid.UUID
    embedding_model: str
    embedding_dimension: int
    document_count: int = 0
