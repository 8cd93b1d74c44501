"""``python -m devhost classify PATH [--rule-set NAME] [--sample N] [--json]``.

Classifies every column of CSV, TSV, JSON/NDJSON, Parquet and XLSX files (every sheet) with the
classification engine, offline (no database, no server). PATH may be a file or a directory (its
supported files, recursively). With ``--json`` stdout holds only the JSON document described in
``docs/classification-engine.md`` ("CLI"); progress and logs go to stderr.

Exit status: 0 when every file was read, 1 when some file could not be read (its entry carries an
``error``), 2 for a bad command line or rule set.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, TextIO

FORMAT_VERSION = 1


def add_parser(commands: Any) -> None:
    """Register the ``classify`` sub-command on ``python -m devhost``'s sub-parsers."""
    parser = commands.add_parser(
        "classify",
        help="classify the columns of CSV/TSV/JSON/NDJSON/Parquet/XLSX files",
        description="Classify every column of data files (offline, no database).",
    )
    parser.add_argument("path", type=Path, help="a data file, or a directory of them")
    parser.add_argument(
        "--rule-set",
        default=None,
        metavar="NAME",
        help="a built-in template id (gdpr_personal_data, hipaa_phi, pci_dss, ccpa, credentials) or the "
        "path of a JSON/YAML rule-set document (default: every classification)",
    )
    parser.add_argument("--sample", type=int, default=100, metavar="N", help="rows sampled per table (default 100)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout (logs on stderr)")
    parser.set_defaults(run=run)


class UsageError(Exception):
    pass


def load_rule_set(name: str | None) -> Any:
    """``None``, a built-in template's rule set, or a validated JSON/YAML document from a file."""
    import yaml

    from core.classification import RuleSetError, builtin_templates, template_rule_set, validate_rule_set

    if name is None:
        return None
    try:
        if name in builtin_templates():
            return template_rule_set(name)
        path = Path(name)
        if not path.is_file():
            raise UsageError(
                f"--rule-set {name!r}: not a built-in template ({', '.join(builtin_templates())}) nor a file"
            )
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        return validate_rule_set(document)
    except RuleSetError as exc:
        raise UsageError(f"--rule-set {name!r}: {exc.code} at {exc.field or 'document'}: {exc.message}") from exc
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"--rule-set {name!r}: cannot read it: {exc}") from exc


def find_files(path: Path) -> list[Path]:
    from core.files.tabular import SUFFIXES

    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    return [path]


def classify_files(paths: list[Path], rule_set: Any, sample: int, log: TextIO) -> dict[str, Any]:
    """The JSON document for ``paths`` (see the module docstring)."""
    from core.classification.results import RuleSetRef
    from core.classification.shared import get_engine
    from core.files.tabular import FileReadError, read_tables

    started = time.perf_counter()
    print(f"loading the classification engine ({len(paths)} file(s) to classify)...", file=log, flush=True)
    engine = get_engine()
    ref = (
        RuleSetRef(id=rule_set.id, version=rule_set.version) if rule_set else RuleSetRef(id="system_default", version=1)
    )
    files: list[dict[str, Any]] = []
    for path in paths:
        entry: dict[str, Any] = {"path": str(path), "format": None, "error": None, "tables": []}
        try:
            tables = read_tables(path, sample=sample)
        except FileReadError as exc:
            entry["error"] = {"code": exc.code, "message": exc.message}
            print(f"{path}: {exc.message}", file=log, flush=True)
            files.append(entry)
            continue
        for table in tables:
            entry["format"] = table.format
            entry["encoding"] = table.encoding
            result = engine.classify_table(table.as_mapping(), rule_set) if table.columns else None
            entry["tables"].append(
                {
                    "name": table.table,
                    "rows_read": table.rows_read,
                    "rows_sampled": table.rows_sampled,
                    "bad_rows": table.bad_rows,
                    "header_detected": table.header_detected,
                    "columns": [column.model_dump(mode="json") for column in result.columns] if result else [],
                }
            )
        print(f"{path}: {sum(len(t['columns']) for t in entry['tables'])} column(s) classified", file=log, flush=True)
        files.append(entry)
    return {
        "format_version": FORMAT_VERSION,
        "rule_set": ref.model_dump(mode="json"),
        "catalog_version": engine.catalog.version,
        "sample": sample,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "files": files,
    }


def render_table(document: dict[str, Any], out: TextIO) -> None:
    """The human-readable report: one table per file/sheet."""
    for entry in document["files"]:
        if entry["error"]:
            print(f"\n{entry['path']}: ERROR {entry['error']['code']}: {entry['error']['message']}", file=out)
            continue
        for table in entry["tables"]:
            title = entry["path"] + (f" [{table['name']}]" if table["name"] else "")
            facts = f"{entry['format']}, {table['rows_read']} rows, {table['rows_sampled']} sampled"
            if table["bad_rows"]:
                facts += f", {table['bad_rows']} bad rows skipped"
            print(f"\n{title} ({facts})", file=out)
            rows = [("COLUMN", "CLASSIFICATION", "CONF", "LABEL", "MATCH", "EXAMPLES")]
            for column in table["columns"]:
                if not column["classifications"]:
                    rows.append((column["column"], "-", "", "", "", ""))
                for index, item in enumerate(column["classifications"]):
                    evidence = item["evidence"]
                    rows.append(
                        (
                            column["column"] if index == 0 else "",
                            item["id"],
                            f"{item['confidence']:.2f}",
                            item["label"],
                            f"{evidence['match_percentage']:.0f}%",
                            ", ".join(evidence["masked_examples"][:2]),
                        )
                    )
            widths = [min(max(len(str(row[i])) for row in rows), 40) for i in range(len(rows[0]))]
            for row in rows:
                cells = [str(cell)[:40].ljust(width) for cell, width in zip(row, widths, strict=True)]
                print("  " + "  ".join(cells).rstrip(), file=out)
    print(f"\nrule set {document['rule_set']['id']} v{document['rule_set']['version']}", file=out)


def run(args: argparse.Namespace) -> int:
    real_stdout = sys.stdout
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.sample < 1:
        print("--sample must be at least 1", file=sys.stderr)
        return 2
    try:
        # Nothing but the document may reach stdout: anything a library prints goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            rule_set = load_rule_set(args.rule_set)
            paths = find_files(args.path)
            document = classify_files(paths, rule_set, args.sample, sys.stderr)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(document, real_stdout, ensure_ascii=False, indent=2)
        real_stdout.write("\n")
    else:
        render_table(document, real_stdout)
    real_stdout.flush()
    return 1 if any(entry["error"] for entry in document["files"]) else 0
