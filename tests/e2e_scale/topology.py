"""The replicated stack as processes on localhost: two Rasa servers sharing one model and their
lock store in Redis, two action servers, two gateways sharing their state in Redis, two reminder
workers, HAProxy in front of each tier, on the machine's PostgreSQL and Redis.

Every process is started with `make run`'s command lines (bot.launch) through the helpers the
e2e suite and the benchmarks use (benchmarks.stack); each can be killed (SIGKILL) and restarted
on its port.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from redis import Redis
from sqlalchemy.orm import Session

from benchmarks.stack import (
    LOCAL_POSTGRES,
    MODEL_LOAD_TIMEOUT_S,
    Process,
    free_port,
    rasa_has_model,
    scratch_postgres,
    start_process,
    stop_processes,
    wait_until,
)
from bot.launch import (
    ACTION_SERVER_ENV,
    action_server_command,
    gateway_command,
    rasa_server_command,
    reminder_worker_command,
)
from knowledge.db import make_engine
from knowledge.migrate import upgrade
from knowledge.seed import seed_directory
from knowledge.settings import PROJECT_ROOT
from tests.e2e_scale.haproxy import Backends, Fronts, balancer_env, haproxy_command
from tests.fakes.telegram_api import FakeBotApi

POSTGRES = LOCAL_POSTGRES
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
LOCK_DB, GATEWAY_DB, SPARE_DB = 10, 11, 12  # Redis databases of this harness only
NAVIGATORS = -1001234567890
PSEUDONYM_KEY = "scale-" + "k" * 40
GATEWAY_TOKEN = "scale-gateway-" + "t" * 32
BOT_TOKEN = "123456789:SCALE-TEST-TOKEN"
# A killed Rasa server leaves its conversation tickets in Redis until they expire (Rasa's default
# is 60 s, longer than the gateway waits for Rasa); turns take well under a second here.
TICKET_LOCK_LIFETIME_S = 15
REMINDER_INTERVAL_S = 2
GATEWAY_START_TIMEOUT_S = 60
# The polled Telegram updates not yet handled (bot.gateway.shared.journal), under the gateways'
# default WAYFINDER_REDIS_PREFIX.
JOURNAL_KEY = "wayfinder:telegram:journal"


def redis_command(db: int, *words: str) -> bytes:
    """One Redis command on `db` over RESP, without a client library; the first reply line."""
    with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=5) as connection:
        for command in (("SELECT", str(db)), words):
            encoded = b"".join(
                b"$%d\r\n%s\r\n" % (len(word.encode()), word.encode()) for word in command
            )
            connection.sendall(b"*%d\r\n" % len(command) + encoded)
        replies = connection.makefile("rb")
        replies.readline()  # +OK to SELECT
        return replies.readline()


def journaled_updates() -> list[int]:
    """The Telegram updates the polling gateway fetched and has not finished: mid-turn."""
    with Redis(host=REDIS_HOST, port=REDIS_PORT, db=GATEWAY_DB, decode_responses=True) as redis:
        return sorted(int(key) for key in redis.hkeys(JOURNAL_KEY))


def flush_redis() -> None:
    """Empty the harness's Redis databases (locks, gateway state) before and after a run."""
    for db in (LOCK_DB, GATEWAY_DB, SPARE_DB):
        redis_command(db, "FLUSHDB")


def seed(database_url: str) -> None:
    """The demo city, migrated and seeded."""
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as db, db.begin():
        seed_directory(db)
    engine.dispose()


@dataclass
class Server:
    """One process of the stack: how to start it again on the same port, and its logs."""

    name: str
    command: list[str]
    env: dict[str, str]
    logs: Path
    port: int | None = None
    process: Process | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, nice: int = 0) -> Process:
        """Start (or start again); each start logs to its own file. `nice` lowers its priority
        (a Rasa server loading its model takes both cores for a minute: niced, it leaves the
        servers answering meanwhile their share, as a separate machine would)."""
        self.starts += 1
        suffix = "" if self.starts == 1 else f".{self.starts}"
        command = ["nice", "-n", str(nice), *self.command] if nice else self.command
        self.process = start_process(command, self.env, self.logs / f"{self.name}{suffix}.log")
        return self.process

    def unnice(self) -> None:
        """Back to normal priority once it serves (root only; else it stays niced)."""
        if self.process is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, self.process.pid, 0)

    @property
    def log(self) -> Path:
        suffix = "" if self.starts <= 1 else f".{self.starts}"
        return self.logs / f"{self.name}{suffix}.log"

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as when a machine or a container dies."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Topology:
    """Every server of the stack, the balancer's URLs and the shared services."""

    logs: Path
    database_url: str  # the directory (our .venv, psycopg 3)
    tracker_url: str  # Rasa's tracker store (psycopg2 in .venv-rasa)
    telegram: FakeBotApi
    fronts: Fronts
    env: dict[str, str]
    rasa: list[Server] = field(default_factory=list)
    actions: list[Server] = field(default_factory=list)
    gateways: list[Server] = field(default_factory=list)
    workers: list[Server] = field(default_factory=list)
    balancer: Server | None = None

    @property
    def gateway_url(self) -> str:
        """The learners' way in: the balancer's public door."""
        return f"http://127.0.0.1:{self.fronts.public}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.fronts.rasa}"

    def servers(self) -> list[Server]:
        """Every process, in the order to stop them (callers first)."""
        found = [*self.workers, *self.gateways, *self.rasa, *self.actions]
        return found + ([self.balancer] if self.balancer else [])

    def wait_rasa(self, server: Server, timeout_s: float = MODEL_LOAD_TIMEOUT_S) -> None:
        wait_until(
            lambda: rasa_has_model(server.url), timeout_s, server.name, server.log, server.process
        )

    def wait_actions(self, server: Server) -> None:
        wait_until(
            lambda: requests.get(f"{server.url}/health", timeout=2).ok,
            60,
            server.name,
            server.log,
            server.process,
        )

    def wait_gateway(self, server: Server, timeout_s: float = GATEWAY_START_TIMEOUT_S) -> None:
        """Up, with its Telegram bot started (polling or standing by)."""
        wait_until(
            lambda: bool(requests.get(f"{server.url}/health", timeout=2).json()["telegram"]),
            timeout_s,
            server.name,
            server.log,
            server.process,
        )

    def stop(self) -> None:
        stop_processes([s.process for s in self.servers() if s.process is not None])


def _env(base: Mapping[str, str], **extra: str) -> dict[str, str]:
    return {**base, **extra}


@contextmanager
def running_topology(model: Path, logs: Path, *, replicas: int = 2) -> Iterator[Topology]:
    """The whole replicated stack on localhost; everything stopped and dropped on leaving."""
    name = f"wayfinder_scale_{os.getpid()}"
    flush_redis()
    telegram = FakeBotApi().start()
    try:
        with scratch_postgres(name):
            topology = _build(model, logs, name, telegram, replicas)
            try:
                _start(topology)
                yield topology
            finally:
                topology.stop()
                flush_redis()
    finally:
        telegram.close()


def _build(model: Path, logs: Path, database: str, telegram: FakeBotApi, replicas: int) -> Topology:
    """The servers' command lines, ports and environments (nothing started yet)."""
    fronts = Fronts(free_port(), free_port(), free_port(), free_port())
    ports = {kind: [free_port() for _ in range(replicas)] for kind in ("gw", "rasa", "act")}
    base = _env(
        os.environ,
        WAYFINDER_DATABASE_URL=f"postgresql+psycopg://{POSTGRES}/{database}",
        WAYFINDER_TRACKER_URL=f"postgresql://{POSTGRES}/{database}",
        WAYFINDER_ACTION_SERVER_URL=f"http://127.0.0.1:{fronts.actions}/webhook",
        WAYFINDER_RASA_URL=f"http://127.0.0.1:{fronts.rasa}",
        WAYFINDER_LOCK_STORE_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{LOCK_DB}",
        WAYFINDER_REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{GATEWAY_DB}",
        TICKET_LOCK_LIFETIME=str(TICKET_LOCK_LIFETIME_S),
        WAYFINDER_PSEUDONYM_KEY=PSEUDONYM_KEY,
        WAYFINDER_GATEWAY_TOKEN=GATEWAY_TOKEN,
        NAVIGATOR_CHAT_ID=str(NAVIGATORS),
        WAYFINDER_HELP_CONTACT="call 555-0100",
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url.removesuffix("/bot"),
        TELEGRAM_WEBHOOK_URL="",
        WAYFINDER_CORS_ORIGINS="",
        # Every simulated browser comes from 127.0.0.1 through the balancer: one client to the
        # per-address limit, which would refuse the crowd as a flood.
        WAYFINDER_WEB_RATE_PER_MINUTE="1000000",
        WAYFINDER_GATEWAY_URL=f"http://127.0.0.1:{fronts.internal}",  # /internal is not public
        SANIC_PROXIES_COUNT="1",  # as docker-compose.yml: the client is in X-Forwarded-For
        WAYFINDER_REMINDER_INTERVAL=str(REMINDER_INTERVAL_S),
        PTB_TIMEDELTA="true",
    )
    topology = Topology(
        logs=logs,
        database_url=base["WAYFINDER_DATABASE_URL"],
        tracker_url=base["WAYFINDER_TRACKER_URL"],
        telegram=telegram,
        fronts=fronts,
        env=base,
    )
    for number in range(1, replicas + 1):
        rasa_port, action_port = ports["rasa"][number - 1], ports["act"][number - 1]
        gateway_port = ports["gw"][number - 1]
        topology.rasa.append(
            Server(f"rasa-{number}", rasa_server_command(rasa_port, model), base, logs, rasa_port)
        )
        topology.actions.append(
            Server(
                f"actions-{number}",
                action_server_command(action_port),
                base | ACTION_SERVER_ENV,
                logs,
                action_port,
            )
        )
        topology.gateways.append(
            Server(
                f"gateway-{number}",
                gateway_command(),
                _env(base, WAYFINDER_GATEWAY_PORT=str(gateway_port)),
                logs,
                gateway_port,
            )
        )
        topology.workers.append(Server(f"worker-{number}", reminder_worker_command(), base, logs))
    lb_env = balancer_env(fronts, Backends(ports["gw"], ports["rasa"], ports["act"]),
                          logs / "haproxy.sock")  # fmt: skip
    topology.balancer = Server("haproxy", haproxy_command(), base | lb_env, logs)
    return topology


def _start(topology: Topology) -> None:
    """The Rasa servers first (their models load in parallel, ~1 min), the directory seeded
    meanwhile, then the rest; the first gateway is up before the second starts, so it is the
    one that polls Telegram (the one the test kills)."""
    assert topology.balancer is not None
    topology.balancer.start()
    for server in topology.rasa:
        server.start()
    seed(topology.database_url)
    for server in topology.actions:
        server.start()
    for server in topology.actions:
        topology.wait_actions(server)
    for server in topology.rasa:
        topology.wait_rasa(server)
    for server in topology.gateways:
        server.start()
        topology.wait_gateway(server)
    for server in topology.workers:
        server.start()
    time.sleep(1.5)  # HAProxy's checks see every server up (rise 2 × 0.5 s)
    for server in topology.servers():
        if not server.alive():
            raise RuntimeError(f"{server.name} exited at start; see {server.log}")


def run_cli(topology: Topology, *args: str) -> str:
    """The wayfinder CLI on the stack's directory; its output."""
    command = [str(PROJECT_ROOT / ".venv" / "bin" / "wayfinder"), *args]
    done = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env=topology.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout
