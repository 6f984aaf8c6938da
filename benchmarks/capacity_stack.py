"""The capacity benchmark's two topologies as processes on localhost: one Rasa server and one
action server, or several of each behind HAProxy (Debian's package).

Both run on the machine's PostgreSQL (conversations and directory, a database of their own,
dropped afterwards) and Redis (Rasa's lock store), so the number of instances (and the
balancer's hop) is the only difference between them. Every server is started with `make run`'s
command lines (bot.launch) through benchmarks.stack.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests
from sqlalchemy.orm import Session

from benchmarks.stack import (
    LOCAL_POSTGRES,
    Process,
    free_port,
    rasa_has_model,
    scratch_postgres,
    start_process,
    stop_processes,
    wait_until,
)
from bot.launch import ACTION_SERVER_ENV, action_server_command, rasa_server_command
from knowledge.db import make_engine
from knowledge.migrate import upgrade
from knowledge.seed import seed_directory

POSTGRES = LOCAL_POSTGRES
LOCK_STORE_URL = "redis://127.0.0.1:6379/9"  # this benchmark's Redis database only
# The load generator's own connection (it reads each sender's chat language as the gateway
# does) is named, so its PostgreSQL backend is not counted as the servers' work.
LOAD_APPLICATION = "wayfinder-capacity-load"
START_TIMEOUT_S = 900  # several models loading at once on a busy 2-core machine
HEALTH_CHECK_MS = 2000


@dataclass
class Topology:
    """One running topology: where the load goes and the processes to account CPU to."""

    name: str
    instances: int
    url: str  # the Rasa server, or the balancer in front of the Rasa servers
    database: str  # its PostgreSQL database (tracker store and directory)
    processes: dict[str, list[Process]] = field(default_factory=dict)  # kind → processes
    rasa_urls: list[str] = field(default_factory=list)
    action_urls: list[str] = field(default_factory=list)

    @property
    def directory_url(self) -> str:
        """The directory as our code reads it (psycopg 3), named as the load generator."""
        return (
            f"postgresql+psycopg://{POSTGRES}/{self.database}?application_name={LOAD_APPLICATION}"
        )


def haproxy_binary() -> str:
    """Debian's haproxy (`make e2e-scale` installs it)."""
    found = shutil.which("haproxy") or shutil.which("/usr/sbin/haproxy")
    if found is None:
        raise RuntimeError("haproxy is not installed (apt-get install haproxy, or make e2e-scale)")
    return found


def _servers(name: str, ports: Sequence[int]) -> str:
    return "\n".join(
        f"    server {name}{number} 127.0.0.1:{port} check"
        for number, port in enumerate(ports, start=1)
    )


def haproxy_config(
    rasa_front: int, actions_front: int, rasa: Sequence[int], actions: Sequence[int]
) -> str:
    """A localhost haproxy.cfg with docker/haproxy.cfg's Rasa and action tiers (least
    connections, buffered requests, retries on a refused connection): one front each."""
    if not rasa or not actions:
        raise ValueError("each tier needs at least one server")
    return f"""\
global
    maxconn 4096

defaults
    mode http
    option http-keep-alive
    timeout connect 3s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 10s
    timeout check 5s
    retries 2
    option redispatch 1
    default-server inter {HEALTH_CHECK_MS} fall 2 rise 2

frontend rasa_internal
    bind 127.0.0.1:{rasa_front}
    default_backend rasa

backend rasa
    balance leastconn
    option http-buffer-request
    retry-on conn-failure
    option httpchk GET /
    http-check expect status 200
{_servers("rasa", rasa)}

frontend actions_internal
    bind 127.0.0.1:{actions_front}
    default_backend actions

backend actions
    balance leastconn
    option http-buffer-request
    retry-on conn-failure
    option httpchk GET /health
    http-check expect status 200
{_servers("actions", actions)}
"""


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A PostgreSQL database of our own with the demo city, dropped on leaving; yields its name."""
    with scratch_postgres(name):
        engine = make_engine(f"postgresql+psycopg://{POSTGRES}/{name}")
        upgrade(engine)
        with Session(engine) as db, db.begin():
            seed_directory(db)
        engine.dispose()
        yield name


def flush_lock_store() -> None:
    """Empty this benchmark's Redis database (conversation locks left by a stopped server)."""
    client = redis.Redis.from_url(LOCK_STORE_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def _healthy(url: str) -> bool:
    """The action server answers its health check."""
    return requests.get(f"{url}/health", timeout=2).ok


def _launch(name: str, instances: int, model: Path, database: str, logs: Path) -> Topology:
    """Start a topology's servers (not waiting for them): direct when one instance, else
    each tier behind HAProxy."""
    rasa_ports = [free_port() for _ in range(instances)]
    action_ports = [free_port() for _ in range(instances)]
    topology = Topology(name, instances, f"http://127.0.0.1:{rasa_ports[0]}", database)
    topology.rasa_urls = [f"http://127.0.0.1:{port}" for port in rasa_ports]
    topology.action_urls = [f"http://127.0.0.1:{port}" for port in action_ports]
    actions_url = f"{topology.action_urls[0]}/webhook"
    if instances > 1:
        rasa_front, actions_front = free_port(), free_port()
        config = logs / f"{name}-haproxy.cfg"
        config.write_text(haproxy_config(rasa_front, actions_front, rasa_ports, action_ports))
        topology.url = f"http://127.0.0.1:{rasa_front}"
        actions_url = f"http://127.0.0.1:{actions_front}/webhook"
        command = [haproxy_binary(), "-db", "-f", str(config)]
        topology.processes["haproxy"] = [
            start_process(command, os.environ, logs / f"{name}-haproxy.log")
        ]
    env = {
        **os.environ,
        "WAYFINDER_DATABASE_URL": f"postgresql+psycopg://{POSTGRES}/{database}",
        "WAYFINDER_TRACKER_URL": f"postgresql://{POSTGRES}/{database}",
        "WAYFINDER_LOCK_STORE_URL": LOCK_STORE_URL,
        "WAYFINDER_ACTION_SERVER_URL": actions_url,
        "WAYFINDER_RASA_URL": topology.url,
    }
    topology.processes["actions"] = [
        start_process(
            action_server_command(port), env | ACTION_SERVER_ENV, logs / f"{name}-actions{n}.log"
        )
        for n, port in enumerate(action_ports, start=1)
    ]
    topology.processes["rasa"] = [
        start_process(rasa_server_command(port, model), env, logs / f"{name}-rasa{n}.log")
        for n, port in enumerate(rasa_ports, start=1)
    ]
    return topology


def _wait(topology: Topology, logs: Path) -> None:
    """Every server answers, every Rasa server has loaded its model, and so does the way in."""
    servers = zip(topology.action_urls, topology.processes["actions"], strict=True)
    for n, (url, process) in enumerate(servers, start=1):
        ready = functools.partial(_healthy, url)
        log = logs / f"{topology.name}-actions{n}.log"
        wait_until(ready, START_TIMEOUT_S, f"{topology.name}: action server {n}", log, process)
    servers = zip(topology.rasa_urls, topology.processes["rasa"], strict=True)
    for n, (url, process) in enumerate(servers, start=1):
        ready = functools.partial(rasa_has_model, url)
        log = logs / f"{topology.name}-rasa{n}.log"
        wait_until(ready, START_TIMEOUT_S, f"{topology.name}: Rasa server {n}", log, process)
    if "haproxy" in topology.processes:  # its checks see each server up (rise 2)
        ready = functools.partial(rasa_has_model, topology.url)
        log = logs / f"{topology.name}-haproxy.log"
        balancer = topology.processes["haproxy"][0]
        wait_until(ready, 60, f"{topology.name}: the balancer", log, balancer)
        time.sleep(3 * HEALTH_CHECK_MS / 1000)


@contextmanager
def run_topologies(
    specs: Sequence[tuple[str, int]], model: Path, logs: Path
) -> Iterator[list[Topology]]:
    """Every (name, instances) topology running at once, each on its own scratch database; all
    started before any is waited for, so their models load together."""
    stopped: list[Topology] = []
    databases = [f"wayfinder_capacity_{os.getpid()}_{name}" for name, _ in specs]
    flush_lock_store()
    try:
        with _databases(databases):
            try:
                for (name, instances), database in zip(specs, databases, strict=True):
                    stopped.append(_launch(name, instances, model, database, logs))
                for topology in stopped:
                    _wait(topology, logs)
                yield stopped
            finally:
                for topology in stopped:
                    kinds = ("rasa", "haproxy", "actions")  # callers first
                    stop_processes([p for k in kinds for p in topology.processes.get(k, [])])
    finally:
        flush_lock_store()


@contextmanager
def _databases(names: Sequence[str]) -> Iterator[None]:
    """Several scratch databases at once."""
    if not names:
        yield
        return
    with scratch_database(names[0]), _databases(names[1:]):
        yield
