"""Framework reports per workspace (JSON, CSV, standalone HTML) and the workspace summary.

A control passes when every policy it maps to was evaluated and none has an open violation
(detected, investigating, remediating); accepted risks are listed as exceptions and do not fail it;
``not_evaluated`` until the first sweep. Evidence per policy: its version, the latest full
evaluation's time, how many assets it evaluated and how many violated.
"""

from __future__ import annotations

import csv
import html
import io
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from pydantic import BaseModel

from core.auth.access import Access
from core.compliance import risk
from core.compliance.packs import get_pack, packs
from core.errors import NotFound

if TYPE_CHECKING:
    from core.db.unit_of_work import UnitOfWork

OPEN = ("detected", "investigating", "remediating")


class PolicyEvidence(BaseModel):
    ref: str
    title: str
    severity: str
    version: int
    evaluated_at: datetime | None
    assets_evaluated: int
    violating: int


class ControlResult(BaseModel):
    id: str
    title: str
    status: Literal["pass", "fail", "not_evaluated"]
    open_violations: int
    accepted_risks: int
    policies: list[PolicyEvidence]


class ReportViolation(BaseModel):
    id: UUID
    policy_ref: str
    title: str
    severity: str
    status: str
    asset_id: UUID
    qualified_name: str
    assignee: str | None
    detected_at: datetime
    due_at: datetime
    overdue: bool


class FrameworkReport(BaseModel):
    framework: str
    name: str
    pack_version: int
    workspace_id: UUID
    workspace_name: str
    region: str
    generated_at: datetime
    controls_passed: int
    controls_failed: int
    controls_not_evaluated: int
    risk_score: int
    controls: list[ControlResult]
    open_violations: list[ReportViolation]


class FrameworkStatus(BaseModel):
    framework: str
    name: str
    controls: int
    passed: int
    failed: int
    not_evaluated: int


class WorkspaceSummary(BaseModel):
    workspace_id: UUID
    workspace_name: str
    generated_at: datetime
    risk_score: int
    open_violations: int
    by_severity: dict[str, int]
    overdue: int
    frameworks: list[FrameworkStatus]


def build_report(uow: UnitOfWork, workspace_id: UUID, framework: str) -> FrameworkReport:
    """The report of ``framework`` in the workspace from stored evaluations and violations (no access
    check: callers check; ``report`` is the API's entry)."""
    pack = get_pack(framework)
    ws_row = uow.connection.execute("SELECT name, region FROM workspaces WHERE id = %s", (workspace_id,)).fetchone()
    if ws_row is None:
        raise NotFound("workspace not found")
    latest = uow.compliance.latest_evaluations(workspace_id)
    violations = uow.compliance.open_violations(workspace_id, framework)
    policies = {p.id: p for p in pack.policies}
    custom = [r for r in uow.compliance.list_policies(workspace_id, enabled_only=True) if r["framework"] == framework]
    controls: list[ControlResult] = []
    for control in pack.controls:
        refs = [
            (f"{framework}/{pid}", policies[pid].title, policies[pid].severity.value, pack.version)
            for pid in control.policies
        ]
        refs += [
            (str(r["id"]), r["definition"]["title"], r["definition"]["severity"], r["latest_version"])
            for r in custom
            if r["control_id"] == control.id
        ]
        evidence = []
        for ref, title, severity, version in refs:
            ev = latest.get(ref)
            evidence.append(
                PolicyEvidence(
                    ref=ref,
                    title=title,
                    severity=severity,
                    version=ev["policy_version"] if ev else version,
                    evaluated_at=ev["evaluated_at"] if ev else None,
                    assets_evaluated=ev["assets_evaluated"] if ev else 0,
                    violating=ev["violating"] if ev else 0,
                )
            )
        mine = [v for v in violations if v["policy_ref"] in {r[0] for r in refs}]
        open_count = sum(1 for v in mine if v["status"] in OPEN)
        status = (
            "not_evaluated" if any(e.evaluated_at is None for e in evidence) else ("fail" if open_count else "pass")
        )
        controls.append(
            ControlResult(
                id=control.id,
                title=control.title,
                status=status,
                open_violations=open_count,
                accepted_risks=len(mine) - open_count,
                policies=evidence,
            )
        )
    return FrameworkReport(
        framework=framework,
        name=pack.name,
        pack_version=pack.version,
        workspace_id=workspace_id,
        workspace_name=ws_row["name"],
        region=ws_row["region"],
        generated_at=datetime.now(UTC),
        controls_passed=sum(c.status == "pass" for c in controls),
        controls_failed=sum(c.status == "fail" for c in controls),
        controls_not_evaluated=sum(c.status == "not_evaluated" for c in controls),
        risk_score=risk.compute(uow, workspace_id).workspace.score,
        controls=controls,
        open_violations=[ReportViolation.model_validate(v) for v in violations],
    )


def report(uow: UnitOfWork, access: Access, workspace_id: UUID, framework: str) -> FrameworkReport:
    access.require_workspace(workspace_id)
    return build_report(uow, workspace_id, framework)


def workspace_summary(uow: UnitOfWork, access: Access, workspace_id: UUID) -> WorkspaceSummary:
    """Risk, open violations by severity, overdue count and pass/fail per framework (the demo's ending)."""
    access.require_workspace(workspace_id)
    reports = [build_report(uow, workspace_id, f) for f in packs()]
    seen: dict[UUID, ReportViolation] = {}
    for r in reports:
        seen.update({v.id: v for v in r.open_violations if v.status in OPEN})
    custom = [
        ReportViolation.model_validate(v) for v in uow.compliance.open_violations(workspace_id) if v["status"] in OPEN
    ]
    seen.update({v.id: v for v in custom})
    by_severity = {s: 0 for s in ("critical", "high", "medium", "low")}
    for v in seen.values():
        by_severity[v.severity] += 1
    return WorkspaceSummary(
        workspace_id=workspace_id,
        workspace_name=reports[0].workspace_name if reports else "",
        generated_at=datetime.now(UTC),
        risk_score=reports[0].risk_score if reports else 0,
        open_violations=len(seen),
        by_severity=by_severity,
        overdue=sum(v.overdue for v in seen.values()),
        frameworks=[
            FrameworkStatus(
                framework=r.framework,
                name=r.name,
                controls=len(r.controls),
                passed=r.controls_passed,
                failed=r.controls_failed,
                not_evaluated=r.controls_not_evaluated,
            )
            for r in reports
        ],
    )


def render_csv(report: FrameworkReport) -> str:
    """One row per control × policy, with the control's result and the policy's evidence."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "framework",
            "control_id",
            "control_title",
            "control_status",
            "open_violations",
            "accepted_risks",
            "policy_ref",
            "policy_version",
            "severity",
            "evaluated_at",
            "assets_evaluated",
            "violating",
        ]
    )
    for c in report.controls:
        for p in c.policies:
            writer.writerow(
                [
                    report.framework,
                    c.id,
                    c.title,
                    c.status,
                    c.open_violations,
                    c.accepted_risks,
                    p.ref,
                    p.version,
                    p.severity,
                    p.evaluated_at.isoformat() if p.evaluated_at else "",
                    p.assets_evaluated,
                    p.violating,
                ]
            )
    return out.getvalue()


_COLORS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "not_evaluated": "#9e9e9e",
    "critical": "#b71c1c",
    "high": "#e65100",
    "medium": "#f9a825",
    "low": "#1565c0",
}


def _donut(parts: list[tuple[str, int]]) -> str:
    total = sum(n for _, n in parts) or 1
    r, c = 60, 2 * math.pi * 60
    offset, arcs = 0.0, []
    for name, n in parts:
        length = c * n / total
        arcs.append(
            f'<circle r="{r}" cx="80" cy="80" fill="none" stroke="{_COLORS[name]}" stroke-width="28"'
            f' stroke-dasharray="{length:.2f} {c - length:.2f}" stroke-dashoffset="{-offset:.2f}"'
            f' transform="rotate(-90 80 80)"><title>{name}: {n}</title></circle>'
        )
        offset += length
    passed = parts[0][1]
    return (
        f'<svg id="controls-chart" role="img" aria-label="controls passed" width="160" height="160"'
        f' viewBox="0 0 160 160" xmlns="http://www.w3.org/2000/svg">{"".join(arcs)}'
        f'<text x="80" y="86" text-anchor="middle" font-size="20">{passed}/{total if sum(n for _, n in parts) else 0}'
        f"</text></svg>"
    )


def _bars(counts: dict[str, int]) -> str:
    top = max(counts.values(), default=0) or 1
    bars = []
    for i, (name, n) in enumerate(counts.items()):
        width = 200 * n / top
        y = 10 + i * 30
        bars.append(
            f'<text x="0" y="{y + 15}" font-size="12">{name}</text>'
            f'<rect x="70" y="{y}" width="{width:.1f}" height="20" fill="{_COLORS[name]}"/>'
            f'<text x="{75 + width:.1f}" y="{y + 15}" font-size="12">{n}</text>'
        )
    return (
        f'<svg id="severity-chart" role="img" aria-label="open violations by severity" width="320" height="130"'
        f' xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>'
    )


def render_html(report: FrameworkReport) -> str:
    """A standalone page: inline CSS and SVG charts, no external assets or scripts."""
    e = html.escape
    severity = {s: 0 for s in ("critical", "high", "medium", "low")}
    for v in report.open_violations:
        if v.status in OPEN:
            severity[v.severity] += 1
    rows = []
    for c in report.controls:
        evidence = "<br>".join(
            f"{e(p.title)} <small>({e(p.ref)} v{p.version}; {p.assets_evaluated} assets evaluated, {p.violating}"
            f" violating; {e(p.evaluated_at.isoformat()) if p.evaluated_at else 'not evaluated'})</small>"
            for p in c.policies
        )
        rows.append(
            f'<tr class="{c.status}"><td>{e(c.id)}</td><td>{e(c.title)}</td>'
            f'<td><span class="badge {c.status}">{c.status.replace("_", " ")}</span></td>'
            f"<td>{c.open_violations}</td><td>{c.accepted_risks}</td><td>{evidence}</td></tr>"
        )
    violations = (
        "".join(
            f"<tr><td>{e(v.severity)}</td><td>{e(v.title)}</td><td>{e(v.qualified_name)}</td><td>{e(v.status)}</td>"
            f"<td>{e(v.assignee or '')}</td><td>{v.detected_at:%Y-%m-%d}</td>"
            f"<td>{v.due_at:%Y-%m-%d}{' (overdue)' if v.overdue else ''}</td></tr>"
            for v in report.open_violations
        )
        or '<tr><td colspan="7">No open violations.</td></tr>'
    )
    donut = _donut(
        [
            ("pass", report.controls_passed),
            ("fail", report.controls_failed),
            ("not_evaluated", report.controls_not_evaluated),
        ]
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{e(report.name)} report: {e(report.workspace_name)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #212121; }}
h1 {{ margin-bottom: 0; }} .meta {{ color: #616161; }}
.charts {{ display: flex; gap: 3rem; align-items: center; margin: 1.5rem 0; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 2rem; }}
th, td {{ border: 1px solid #e0e0e0; padding: .4rem .6rem; text-align: left; vertical-align: top; }}
th {{ background: #f5f5f5; }} small {{ color: #616161; }}
.badge {{ padding: .1rem .5rem; border-radius: .6rem; color: #fff; font-size: .85rem; }}
.badge.pass {{ background: #2e7d32; }} .badge.fail {{ background: #c62828; }}
.badge.not_evaluated {{ background: #9e9e9e; }}
</style></head><body>
<h1>{e(report.name)}</h1>
<p class="meta">Workspace <strong>{e(report.workspace_name)}</strong> ({e(report.region)}) · pack version
{report.pack_version} · generated {report.generated_at:%Y-%m-%d %H:%M:%S} UTC · risk score
<strong>{report.risk_score}</strong>/100</p>
<div class="charts">{donut}<div><strong>{report.controls_passed}</strong> passed ·
<strong>{report.controls_failed}</strong> failed · <strong>{report.controls_not_evaluated}</strong> not evaluated</div>
{_bars(severity)}</div>
<h2>Controls</h2>
<table id="controls"><thead><tr><th>Control</th><th>Title</th><th>Result</th><th>Open violations</th>
<th>Accepted risks</th><th>Evidence (policies, versions, evaluations)</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Open violations</h2>
<table id="violations"><thead><tr><th>Severity</th><th>Policy</th><th>Asset</th><th>Status</th><th>Assignee</th>
<th>Detected</th><th>Due</th></tr></thead><tbody>{violations}</tbody></table>
</body></html>
"""


def render(report: FrameworkReport, fmt: str) -> tuple[str | dict[str, Any], str]:
    """(body, content type) of the report in ``fmt`` (json, csv or html)."""
    if fmt == "csv":
        return render_csv(report), "text/csv"
    if fmt == "html":
        return render_html(report), "text/html"
    return report.model_dump(mode="json"), "application/json"
