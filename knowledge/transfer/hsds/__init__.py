"""Open Referral HSDS 3.0 in both publication forms: a Tabular Data Package (package,
package_import) and the read API's nested objects (nesting), from one mapping (objects)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from knowledge.transfer.hsds.objects import directory_tables
from knowledge.transfer.hsds.package import write_package
from knowledge.transfer.hsds.package_import import import_package
from knowledge.transfer.hsds.place import AddressDefaults


def export_package(session: Session, folder: Path, defaults: AddressDefaults) -> tuple[int, int]:
    """Write the directory as an HSDS Tabular Data Package into `folder`; how many services, and
    how many physical places went out without an address (HSDS needs every part of one)."""
    tables = directory_tables(session, defaults)
    write_package(tables.rows, folder)
    return len(tables.rows["service"]), tables.incomplete_addresses


__all__ = ["AddressDefaults", "export_package", "import_package"]
