"""Moving the directory in and out: the community CSV, HSDS 3.0 JSON and Open Badges 3.0."""

from knowledge.transfer.badges import export_badges
from knowledge.transfer.csv_export import export_csv
from knowledge.transfer.csv_import import import_csv
from knowledge.transfer.hsds_export import export_hsds
from knowledge.transfer.hsds_import import import_hsds
from knowledge.transfer.importer import import_file
from knowledge.transfer.report import ImportReport, Problem

__all__ = [
    "ImportReport",
    "Problem",
    "export_badges",
    "export_csv",
    "export_hsds",
    "import_csv",
    "import_file",
    "import_hsds",
]
