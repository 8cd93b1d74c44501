"""The scan saga's activities: thin, idempotent calls into core (keyed by scan id + asset)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import azure.durable_functions as df

from core.db.unit_of_work import UnitOfWork
from core.scans import pipeline, service


def scan_discover(scan_id: str) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return pipeline.discover(uow, UUID(scan_id))


def scan_checkpoint(scan_id: str) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return service.checkpoint(uow, UUID(scan_id))


def scan_assets(batch: dict[str, Any]) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return pipeline.scan_assets(uow, UUID(batch["scan_id"]), list(batch["assets"]))


def scan_finish(scan_id: str) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return service.finish(uow, UUID(scan_id))


def scan_fail(failure: dict[str, Any]) -> None:
    with UnitOfWork() as uow:
        service.fail(uow, UUID(failure["scan_id"]), failure["error"])


def register(bp: df.Blueprint) -> None:
    for function, input_name in (
        (scan_discover, "scan_id"),
        (scan_checkpoint, "scan_id"),
        (scan_assets, "batch"),
        (scan_finish, "scan_id"),
        (scan_fail, "failure"),
    ):
        bp.activity_trigger(input_name=input_name, activity=function.__name__)(function)
