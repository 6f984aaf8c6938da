"""Formatted text and keyboards checked as Telegram checks them, with its own error messages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.fakes.telegram_api.wire import ApiRefusal, JSONDict, words


def _offset(text: str, index: int) -> int:
    """Telegram reports entity errors at UTF-8 byte offsets."""
    return len(text[:index].encode("utf-8"))


def _cant_parse(detail: str) -> ApiRefusal:
    return ApiRefusal(f"Bad Request: can't parse entities: {detail}")


_HTML_TAGS = words(
    "a b blockquote code del em i ins pre s span strike strong tg-emoji tg-spoiler u"
)


class _TelegramHtml(HTMLParser):
    """Telegram's HTML subset: a few inline tags, properly nested; everything else is refused."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.open_tags: list[str] = []
        self.text: list[str] = []

    def _here(self) -> int:
        line, column = self.getpos()
        return _offset(self.source, self.line_starts[line - 1] + column)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._here()}')
        self.open_tags.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._here()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags:
            raise _cant_parse(f"Unexpected end tag at byte offset {self._here()}")
        expected = self.open_tags.pop()
        if expected != tag:
            raise _cant_parse(
                f'Unmatched end tag at byte offset {self._here()}, expected "</{expected}>", '
                f'found "</{tag}>"'
            )

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def plain_text(self) -> str:
        self.feed(self.source)
        self.close()
        if self.open_tags:
            raise _cant_parse(
                f'Can\'t find end tag corresponding to start tag "{self.open_tags[-1]}"'
            )
        return "".join(self.text)


_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}


def _find_closing(text: str, marker: str, start: int) -> int:
    """Index of the next unescaped `marker` from `start`, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(marker, i):
            return i
        i += 1
    return -1


def _unescape(text: str) -> str:
    return re.sub(r"\\([\x01-\x7e])", r"\1", text)


def _code_span(text: str, i: int) -> tuple[str, int]:
    """Reads `code` or ```pre``` at `i`; returns its plain text and the index after it."""
    fence = "```" if text.startswith("```", i) else "`"
    end = _find_closing(text, fence, i + len(fence))
    if end < 0:
        name = "Pre" if fence == "```" else "Code"
        raise _cant_parse(f"Can't find end of {name} entity at byte offset {_offset(text, i)}")
    body = text[i + len(fence) : end]
    if fence == "```":
        language, newline, rest = body.partition("\n")
        if newline and language and " " not in language:
            body = rest
    return _unescape(body), end + len(fence)


def _markdown_v2_text(text: str) -> str:
    """MarkdownV2 as Telegram reads it; unescaped reserved characters are the classic bug."""
    out: list[str] = []
    opened: list[tuple[str, int]] = []
    expandable_quote = False
    i = 0
    while i < len(text):
        char = text[i]
        line_start = i == 0 or text[i - 1] == "\n"
        if char == "\\" and i + 1 < len(text) and "\x01" <= text[i + 1] <= "\x7e":
            out.append(text[i + 1])
            i += 2
            continue
        if char == "`":
            plain, i = _code_span(text, i)
            out.append(plain)
            continue
        if line_start and text.startswith("**>", i):
            expandable_quote, i = True, i + 3
            continue
        if line_start and char == ">":
            i += 1
            continue
        marker = next((m for m in ("__", "||") if text.startswith(m, i)), char)
        if marker == "||" and expandable_quote and all(m != "||" for m, _ in opened):
            expandable_quote, i = False, i + 2
            continue
        if marker in ("*", "_", "__", "~", "||"):
            found = next((k for k in range(len(opened) - 1, -1, -1) if opened[k][0] == marker), -1)
            if found >= 0:
                del opened[found]
            else:
                opened.append((marker, i))
            i += len(marker)
            continue
        if char == "!" and text.startswith("![", i):
            i += 1
            continue
        if char == "[":
            opened.append(("[", i))
            i += 1
            continue
        if char == "]" and any(m == "[" for m, _ in opened) and text.startswith("(", i + 1):
            close = _find_closing(text, ")", i + 2)
            if close < 0:
                raise _cant_parse(f"Can't find end of a URL at byte offset {_offset(text, i)}")
            opened.remove(next(o for o in reversed(opened) if o[0] == "["))
            i = close + 1
            continue
        if char in _MD2_RESERVED:
            raise _cant_parse(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(char)
        i += 1
    if opened:
        marker, at = opened[0]
        raise _cant_parse(
            f"Can't find end of {_MD2_NAMES[marker]} entity at byte offset {_offset(text, at)}"
        )
    return "".join(out)


def _markdown_text(text: str) -> str:
    """Legacy Markdown: lenient, but an unclosed * or _ (think user_names) is still an error."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            i += 2
        elif char == "`":
            plain, i = _code_span(text, i)
            out.append(plain)
        elif char in "*_":
            end = text.find(char, i + 1)
            if end < 0:
                raise _cant_parse(
                    f"Can't find end of the entity starting at byte offset {_offset(text, i)}"
                )
            out.append(text[i + 1 : end])
            i = end + 1
        elif match := re.match(r"\[([^\]]*)\]\(([^)]*)\)", text[i:]):
            out.append(match.group(1))
            i += match.end()
        else:
            out.append(char)
            i += 1
    return "".join(out)


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text a user would see; raises Telegram's 400 when the markup does not parse."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _TelegramHtml(text).plain_text()
    if mode == "markdownv2":
        return _markdown_v2_text(text)
    if mode == "markdown":
        return _markdown_text(text)
    if mode:
        raise ApiRefusal(f"Bad Request: unsupported parse_mode {parse_mode}")
    return text


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def checked_markup(markup: object) -> JSONDict | None:
    """Refuses keyboards Telegram refuses, most usefully callback_data over 64 bytes."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiRefusal("Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in markup["inline_keyboard"]:
            for button in row:
                if not isinstance(button, dict):
                    raise ApiRefusal("Bad Request: can't parse inline keyboard button")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise ApiRefusal("Bad Request: BUTTON_DATA_INVALID")
                if len(button) == 1:
                    raise ApiRefusal(
                        "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
    elif "keyboard" in markup:
        if not all(isinstance(row, list) for row in markup["keyboard"]):
            raise ApiRefusal("Bad Request: can't parse reply keyboard markup JSON object")
    elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
        raise ApiRefusal("Bad Request: can't parse reply keyboard markup JSON object")
    return markup
