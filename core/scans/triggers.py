"""Scans requested by events: a message on the ``scan-requests`` queue, or a blob landing in a
container that registered Blob/ADLS data sources read. Both act under a service identity limited to
running scans in the message's (or source's) workspace."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import ValidationError

from core.auth.service_identity import service_access
from core.errors import Conflict, DomainError
from core.events.consumers import PoisonMessage, claim, record_result
from core.scans import service
from core.scans.model import Scan, ScanRequest

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
SCAN_REQUESTS = "scan-requests"


def scan_from_message(uow: UnitOfWork, message_id: str, body: bytes) -> Scan | None:
    """Queue the scan a ``scan-requests`` message asks for, once per message id.

    Returns the scan whose saga must be started (also on a redelivery, while it is still queued);
    None when a redelivered message's scan is already under way. Raises ``PoisonMessage`` for a
    message that can never succeed; a busy source (409) raises ``Conflict`` so the message is retried.
    """
    done = claim(uow, SCAN_REQUESTS, message_id)
    if done is not None:
        row = uow.scans.get_for_update(UUID(done["scan_id"]))
        uow.rollback()
        return service.view(row) if row is not None and row["status"] == "queued" else None
    try:
        command = ScanRequest.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise PoisonMessage(f"not a scan request: {type(exc).__name__}") from None
    access = service_access(command.workspace_id, "scans:run", f"queue:{SCAN_REQUESTS}", "Scan request queue")
    try:
        scan = service.request_scan(uow, access, command.workspace_id, command, trigger="queue", commit=False)
    except Conflict:
        raise
    except DomainError as exc:
        raise PoisonMessage(f"scan request refused: {exc.code}: {exc.message}") from None
    record_result(uow, SCAN_REQUESTS, message_id, {"scan_id": str(scan.id)})
    uow.commit()
    return scan


def scans_for_landed_blob(uow: UnitOfWork, blob_path: str) -> list[Scan]:
    """An incremental scan of every data source reading the blob's container (and prefix); returns the
    scans whose sagas must be started.

    A source that is already being scanned does not get a second scan: the blob joins the running one,
    which discovers the source again before it finishes if its discovery had already listed it
    (``service.join_landing``). Only when that scan has used its discovery rounds (or the workspace's
    concurrent-scan quota refuses a new one) is the source busy: ``Conflict``, unless another source got
    a new scan to start, makes the host retry the blob later.
    """
    container, _, name = blob_path.partition("/")
    scans = []
    joined = []
    busy = []
    for workspace_id, source_id, prefix in uow.datasources.storage_sources_for_container(container):
        if prefix and not name.startswith(prefix.strip("/") + "/") and name != prefix.strip("/"):
            continue
        access = service_access(workspace_id, "scans:run", f"blob:{container}", "Landing container")
        command = ScanRequest(workspace_id=workspace_id, data_source_id=source_id, incremental=True)
        for _ in range(3):  # the running scan may end between the refused insert and the join
            try:
                scans.append(service.request_scan(uow, access, workspace_id, command, trigger="blob"))
                break
            except Conflict as exc:
                uow.rollback()
                refusal = exc.code
            scan_id = service.join_landing(uow, source_id)
            uow.commit()
            if scan_id is not None:
                joined.append(str(scan_id))
                break
            if refusal != "scan_already_running":  # e.g. the workspace's concurrent-scan quota
                busy.append(str(source_id))
                break
        else:
            busy.append(str(source_id))
    if joined:
        log.info("landed blob joined running scans", extra={"blob": blob_path, "scans": joined})
    if busy:
        log.info("landed blob waits for running scans", extra={"blob": blob_path, "sources": busy})
        if not scans:  # nothing to start: a retry joins the scans again, harmlessly
            raise Conflict(
                f"sources {', '.join(busy)} are being scanned; the blob is retried later", code="scan_already_running"
            )
    return scans
