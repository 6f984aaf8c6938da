"""What travels over HTTP: PTB's request encodings decoded, Telegram's answers and errors
encoded, a webhook called as Telegram calls it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import Any, cast
from urllib.parse import parse_qsl

JSONDict = dict[str, Any]


def words(text: str) -> frozenset[str]:
    """Long name lists stay compact and greppable as one string."""
    return frozenset(text.split())


# PTB sends strings unencoded; these must stay strings even when they look like JSON ("42").
_STRING_PARAMS = words(
    "action address business_connection_id callback_query_id caption description emoji "
    "file_id first_name inline_message_id ip_address language_code last_name "
    "message_effect_id name parse_mode phone_number secret_token short_description text "
    "title url"
)
# A JSON body may carry these as JSON-in-a-string, which Telegram accepts too.
_JSON_PARAMS = words(
    "allowed_updates caption_entities commands entities link_preview_options media "
    "reply_markup reply_parameters scope"
)


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part, kept whole so tests can check what the bot uploaded."""

    filename: str
    content_type: str
    data: bytes


class ApiRefusal(Exception):
    """A Bot API error answer, raised by a method and turned into Telegram's error JSON."""

    def __init__(self, description: str, status: int = 400, *, record: bool = True) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.record = record


@dataclass(frozen=True)
class Reply:
    """What the HTTP handler writes back; ``None`` in its place means drop the connection."""

    status: int
    body: bytes
    content_type: str = "application/json"


def json_reply(status: int, payload: object) -> Reply:
    """Serialises under the caller's lock, so later edits cannot change an answer being sent."""
    return Reply(status, json.dumps(payload, ensure_ascii=False).encode())


def error_payload(status: int, description: str, retry_after: int | None = None) -> JSONDict:
    """Telegram's error shape, which PTB turns into RetryAfter, BadRequest, NetworkError..."""
    payload: JSONDict = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        payload["parameters"] = {"retry_after": retry_after}
    return payload


def _decode_field(name: str, raw: str) -> Any:
    """Undoes PTB's encoding: JSON for everything but plain strings."""
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _decode_multipart(content_type: str, body: bytes) -> JSONDict:
    """Reads form-data with the stdlib email parser, since the cgi module is on its way out."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    params: JSONDict = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "")
        data = cast(bytes, part.get_payload(decode=True) or b"")
        filename = part.get_filename()
        if filename is None:
            params[name] = _decode_field(name, data.decode("utf-8"))
        else:
            params[name] = UploadedFile(filename, part.get_content_type(), data)
    return params


def decode_params(content_type: str, body: bytes, query: str = "") -> JSONDict:
    """Decodes any request encoding the Bot API accepts into one dict of Python values."""
    params: JSONDict = {k: _decode_field(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        params.update(json.loads(body))
    elif kind == "multipart/form-data":
        params.update(_decode_multipart(content_type, body))
    elif body:
        text = body.decode("utf-8")
        params.update({k: _decode_field(k, v) for k, v in parse_qsl(text, keep_blank_values=True)})
    for name in _JSON_PARAMS & params.keys():
        if isinstance(params[name], str):
            with suppress(ValueError):
                params[name] = json.loads(params[name])
    return params


def post_update_to(
    url: str, update: Mapping[str, Any], secret_token: str | None = None, timeout: float = 5.0
) -> int:
    """POSTs an update the way Telegram calls a webhook; returns the HTTP status it got back."""
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    request = urllib.request.Request(
        url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # localhost, no proxy
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
