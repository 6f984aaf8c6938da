"""What the benchmarks ran on, so figures can be compared across machines."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from knowledge.db import make_engine


@dataclass(frozen=True)
class Machine:
    """Hardware and software versions."""

    cpu: str
    cores: int
    ram_gb: float
    os: str
    python: str
    sqlite: str
    postgresql: str | None
    measured_at: datetime
    load: float


def describe_machine(postgres_url: str | None) -> Machine:
    """Read the CPU, memory and OS from /proc and the database versions from the servers."""
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 1,
        ram_gb=_ram_gb(),
        os=_os_name(),
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        postgresql=_postgres_version(postgres_url) if postgres_url else None,
        measured_at=datetime.now().replace(microsecond=0),
        load=os.getloadavg()[0],
    )


def _cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _ram_gb() -> float:
    """Total memory in GiB (from /proc/meminfo on Linux)."""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return round(pages * page_size / 1024**3, 1)


def _os_name() -> str:
    """The distribution's pretty name and the kernel."""
    release = Path("/etc/os-release")
    name = platform.system()
    if release.exists():
        for line in release.read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                name = line.split("=", 1)[1].strip().strip('"')
    return f"{name} (kernel {platform.release()})"


def _postgres_version(url: str) -> str | None:
    """The server's version string, or None when it cannot be reached."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.scalar(text("SHOW server_version"))
        return str(version)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()
