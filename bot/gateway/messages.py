"""A bot message as the gateway passes it on, whichever channel it came from or goes to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """A button: what it says and the payload it sends back."""

    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    """Text and buttons (Rasa's output, or the gateway's own); `custom` is Rasa's json_message."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_rasa(cls, raw: dict[str, Any]) -> BotMessage:
        """One entry of Rasa's REST reply (text, buttons, custom); unknown keys are ignored."""
        buttons = tuple(
            Button(str(button.get("title", "")), str(button.get("payload", "")))
            for button in raw.get("buttons") or []
            if isinstance(button, dict) and button.get("payload")
        )
        custom = raw.get("custom") if isinstance(raw.get("custom"), dict) else {}
        return cls(str(raw.get("text") or ""), buttons, dict(custom or {}))

    def as_json(self) -> dict[str, Any]:
        """For the web widget and the outbox."""
        return {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> BotMessage:
        """Back from the outbox."""
        return cls.from_rasa(raw)


def merged(messages: list[BotMessage]) -> list[BotMessage]:
    """Rasa sends a response's `custom` part as a message of its own: fold it into the text
    before it, so a channel sees one message (e.g. a question with its location button)."""
    folded: list[BotMessage] = []
    for message in messages:
        if folded and not message.text and not message.buttons and message.custom:
            last = folded[-1]
            folded[-1] = BotMessage(last.text, last.buttons, {**last.custom, **message.custom})
        elif message.text or message.buttons:
            folded.append(message)
    return folded
