"""A terminal chat with the running assistant over its REST channel (`make shell`).

Talks HTTP to the Rasa server like any other client, so it exercises exactly what users get.
Buttons are shown numbered; typing `#2` taps the second one. The sender id is kept in
`var/shell-sender` so the assistant remembers you between runs, as it would on Telegram.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import requests

from bot.settings import PROJECT_ROOT, ServeSettings

QUIT_WORDS = {"/quit", "/exit"}


@dataclass
class Turn:
    """What the assistant said in reply to one message, and the buttons it offered."""

    texts: list[str] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)


def parse_reply(messages: Iterable[dict[str, Any]]) -> Turn:
    """Rasa's REST channel answers with a list of message dicts; keep text, images and buttons."""
    turn = Turn()
    for message in messages:
        if message.get("text"):
            turn.texts.append(str(message["text"]))
        if message.get("image"):
            turn.texts.append(f"[image] {message['image']}")
        for button in message.get("buttons") or []:
            turn.buttons.append((str(button.get("title", "")), str(button.get("payload", ""))))
    return turn


def render(turn: Turn) -> str:
    """The reply as terminal text, buttons numbered so they can be tapped by `#N`."""
    lines = list(turn.texts)
    lines += [f"  [#{number}] {title}" for number, (title, _) in enumerate(turn.buttons, 1)]
    return "\n".join(lines) if lines else "(no reply)"


def resolve_input(line: str, last: Turn) -> str:
    """`#N` taps the Nth button of the last reply; anything else is sent as typed."""
    text = line.strip()
    if text.startswith("#") and text[1:].isdigit():
        index = int(text[1:]) - 1
        if 0 <= index < len(last.buttons):
            return last.buttons[index][1]
    return text


def sender_id(path: Path) -> str:
    """A random pseudonymous id, created once per checkout and reused so profiles persist."""
    if path.exists():
        stored = path.read_text(encoding="utf-8").strip()
        if stored:
            return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    new = f"shell-{secrets.token_hex(8)}"
    path.write_text(new + "\n", encoding="utf-8")
    return new


def send(url: str, sender: str, message: str, timeout: float = 30.0) -> Turn:
    """One message to the REST channel."""
    response = requests.post(
        f"{url.rstrip('/')}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=timeout,
    )
    response.raise_for_status()
    return parse_reply(response.json())


def chat(
    url: str,
    sender: str,
    lines: Iterable[str],
    out: TextIO,
    post: Callable[[str, str, str], Turn] = send,
) -> int:
    """Relay each input line and print the replies; returns an exit status."""
    last = Turn()
    for line in lines:
        if line.strip() in QUIT_WORDS:
            break
        message = resolve_input(line, last)
        if not message:
            continue
        try:
            last = post(url, sender, message)
        except requests.ConnectionError:
            print(f"Cannot reach the assistant at {url}. Is `make run` running?", file=out)
            return 1
        except requests.RequestException as error:
            print(f"The assistant did not answer properly: {error}", file=out)
            continue
        print(render(last), file=out, flush=True)
    return 0


def _prompted(stream: TextIO, out: TextIO) -> Iterable[str]:
    """Input lines with a prompt, ending quietly on Ctrl-D or Ctrl-C."""
    while True:
        print("you> ", end="", file=out, flush=True)
        try:
            line = stream.readline()
        except KeyboardInterrupt:
            return
        if not line:
            return
        yield line


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m bot.shell`: Rasa is where `make run` started it (ServeSettings:
    WAYFINDER_RASA_URL, else port WAYFINDER_RASA_PORT on this machine) unless --url says."""
    try:
        settings = ServeSettings.from_env(os.environ)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=settings.rasa_url)
    parser.add_argument("--sender", help="chat as this sender id (default: kept in var/)")
    args = parser.parse_args(argv)
    sender = args.sender or sender_id(PROJECT_ROOT / "var" / "shell-sender")
    print(f"Chatting with {args.url} as {sender}. Type /quit to leave; #N taps button N.")
    return chat(args.url, sender, _prompted(sys.stdin, sys.stdout), sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
