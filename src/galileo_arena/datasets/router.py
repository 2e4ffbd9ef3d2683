"""HTTP endpoints for datasets."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, UploadFile

from galileo_arena.config import Settings
from galileo_arena.datasets.files import MAX_FILE_BYTES
from galileo_arena.datasets.schemas import (
    CaseOut,
    DatasetDetail,
    DatasetSummary,
    EvidenceOut,
    ImportReport,
)
from galileo_arena.datasets.service import DatasetService
from servicekit.errors import Forbidden, PayloadTooLarge, Unprocessable

router = APIRouter(prefix="/datasets", tags=["datasets"])

MAX_UPLOAD_FILES = 20


def datasets(request: Request) -> DatasetService:
    return request.app.state.galileo.datasets


def require_admin(request: Request, x_admin_key: Annotated[str | None, Header()] = None) -> None:
    """Importing changes what every user sees: an admin key, or development mode without one."""
    settings: Settings = request.app.state.galileo.settings
    expected = settings.admin_api_key
    if expected is None:
        if settings.is_production:
            raise Forbidden("set ADMIN_API_KEY to import datasets over HTTP in production")
        return
    if x_admin_key is None or not secrets.compare_digest(
        x_admin_key.encode(), expected.get_secret_value().encode()
    ):
        raise Forbidden("a valid X-Admin-Key header is required", code="admin_key_required")


Datasets = Annotated[DatasetService, Depends(datasets)]


@router.get("", response_model=list[DatasetSummary])
async def list_datasets(service: Datasets) -> list[DatasetSummary]:
    return [
        DatasetSummary(
            id=row.id, version=row.version, description=row.description, case_count=row.case_count
        )
        for row in await service.list()
    ]


@router.get("/{dataset_id}", response_model=DatasetDetail)
async def get_dataset(dataset_id: str, service: Datasets) -> DatasetDetail:
    dataset, cases = await service.get(dataset_id)
    return DatasetDetail(
        id=dataset.id,
        version=dataset.version,
        description=dataset.description,
        case_count=dataset.case_count,
        meta=dataset.meta_json,
        cases=[
            CaseOut(
                case_id=case.case_id,
                topic=case.topic,
                claim=case.claim,
                pressure_score=case.pressure_score,
                evidence_packets=[EvidenceOut(**packet) for packet in case.evidence_json],
            )
            for case in cases
        ],
    )


@router.post(
    "/import",
    response_model=ImportReport,
    dependencies=[Depends(require_admin)],
    responses={422: {"description": "a file is malformed; nothing was imported"}},
)
async def import_datasets(files: list[UploadFile], service: Datasets) -> ImportReport:
    """Import dataset files in the upstream format (``{id, version, description, meta, cases}``).

    All files are validated first; if any is malformed nothing is stored and the errors name the
    file, the case and the field.
    """
    if len(files) > MAX_UPLOAD_FILES:
        raise Unprocessable(f"at most {MAX_UPLOAD_FILES} files per import")
    uploads = []
    for upload in files:
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise PayloadTooLarge(
                f"{upload.filename}: a dataset file is at most {MAX_FILE_BYTES // 1_000_000} MB"
            )
        uploads.append((upload.filename or "upload.json", data))
    report = await service.import_files(uploads)
    if report.errors:
        raise Unprocessable(
            "no dataset was imported: " + "; ".join(report.errors[:5]),
            code="invalid_dataset",
            details={"errors": report.errors},
        )
    return ImportReport(loaded=report.loaded, unchanged=report.unchanged, errors=[])
