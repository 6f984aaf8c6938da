"""The HSDS 3.0 Tabular Data Package: one CSV per HSDS table with HSDS's own columns, in the
order of the official `datapackage.json`, and a `datapackage.json` naming the files written."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from knowledge.transfer.hsds.objects import TABLES, Row
from knowledge.transfer.report import ImportReport

STANDARD = Path(__file__).resolve().parent / "standard"
DESCRIPTOR = "datapackage.json"
PACKAGE_KEYS = ("name", "title", "description", "profile", "version", "homepage", "license")


@cache
def official_descriptor() -> dict[str, Any]:
    """HSDS's own datapackage.json (knowledge/transfer/hsds/standard)."""
    with (STANDARD / DESCRIPTOR).open(encoding="utf-8") as file:
        descriptor: dict[str, Any] = json.load(file)
    return descriptor


def resources() -> dict[str, dict[str, Any]]:
    """The official resources (tables) by name."""
    return {resource["name"]: resource for resource in official_descriptor()["resources"]}


def columns(table: str) -> list[str]:
    """A table's columns, in HSDS's order."""
    return [field["name"] for field in resources()[table]["schema"]["fields"]]


def write_package(tables: Mapping[str, list[Row]], folder: Path) -> list[Path]:
    """Write every table we fill (header only when it has no rows) and the descriptor."""
    folder.mkdir(parents=True, exist_ok=True)
    official = official_descriptor()
    written = []
    for name in TABLES:
        resource = resources()[name]
        path = folder / resource["path"]
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            header = columns(name)
            writer.writerow(header)
            for row in tables[name]:
                writer.writerow([_cell(row.get(column)) for column in header])
        written.append(path)
    descriptor = {key: official[key] for key in PACKAGE_KEYS if key in official}
    descriptor["resources"] = [resources()[name] for name in TABLES]
    path = folder / DESCRIPTOR
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*written, path]


def _cell(value: Any) -> str:
    """A CSV cell: empty for unknown, numbers as JSON writes them."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return str(value)


def read_package(folder: Path, report: ImportReport) -> dict[str, list[Row]] | None:
    """Every HSDS table the package's descriptor names, as rows of non-empty cells with numbers
    as numbers; None after reporting why the folder is not an HSDS package."""
    descriptor_path = folder / DESCRIPTOR
    if not descriptor_path.is_file():
        report.add(f"has no {DESCRIPTOR}; expected an HSDS Tabular Data Package folder")
        return None
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8-sig"))
        listed = {str(item["name"]): str(item["path"]) for item in descriptor["resources"]}
    except (ValueError, KeyError, TypeError) as error:
        report.add(f"{DESCRIPTOR} is not a data package descriptor with resources ({error})")
        return None
    known = resources()
    tables: dict[str, list[Row]] = {name: [] for name in known}
    for name, path in listed.items():
        if name not in known:
            report.add(f"{DESCRIPTOR}: {name!r} is not an HSDS 3.0 table")
            continue
        file = folder / path
        if not file.is_file():
            report.add(f"{DESCRIPTOR} lists {path}, which is not in the folder")
            continue
        tables[name] = _read_table(file, known[name], report)
    return tables


def _read_table(file: Path, resource: Mapping[str, Any], report: ImportReport) -> list[Row]:
    """One CSV: its header must use the table's HSDS columns."""
    fields = {field["name"]: field["type"] for field in resource["schema"]["fields"]}
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        report.add(f"{file.name} is not UTF-8 text")
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    unknown = [name for name in reader.fieldnames or [] if name not in fields]
    if unknown:
        report.add(f"{file.name}: unknown column(s) {', '.join(unknown)} (not HSDS 3.0's)")
        return []
    rows = []
    for number, cells in enumerate(reader, start=2):
        row: Row = {}
        for name, cell in cells.items():
            if cell in (None, ""):
                continue
            if fields[name] == "number":
                try:
                    number_value = float(cell)
                except ValueError:
                    report.add(f"{file.name} line {number}, {name}: {cell!r} is not a number")
                    continue
                row[name] = int(number_value) if number_value.is_integer() else number_value
            else:
                row[name] = cell
        rows.append(row)
    return rows
