"""A learner's saved plan as files they keep: an iCalendar (.ics) file for their calendar app
(calendar.py) and a one-page printable plan (printable.py), in their chat language. The assistant
offers them ("send me my plan", actions/plan_export.py); the gateway builds them from the
directory and sends them on Telegram or links them in the widget (bot/gateway/plan_files.py)."""

from knowledge.plan_export.files import (
    CUSTOM_KEY,
    FORMATS,
    HTML,
    ICS,
    NothingToExport,
    PlanFile,
    formats_of,
    plan_file,
)
from knowledge.plan_export.plan import ExportedPlan, exported_plan

__all__ = [
    "CUSTOM_KEY",
    "FORMATS",
    "HTML",
    "ICS",
    "ExportedPlan",
    "NothingToExport",
    "PlanFile",
    "exported_plan",
    "formats_of",
    "plan_file",
]
