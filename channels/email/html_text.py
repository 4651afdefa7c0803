"""The visible text of an HTML mail body, never markup."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from channels.email.headers import fix_surrogates
from channels.email.text import tidy

_SKIPPED_ELEMENTS = frozenset({"script", "style", "head", "title", "template"})
_HEAD_ELEMENTS = frozenset(
    {"meta", "link", "title", "style", "script", "base", "noscript", "template"}
)
_LINE_ELEMENTS = frozenset(
    {
        "div", "li", "tr", "ul", "ol", "table", "thead", "tbody", "tfoot", "dl", "dt", "dd",
        "section", "article", "header", "footer", "nav", "aside", "address", "form",
        "fieldset", "figure", "figcaption", "center", "hr", "main", "caption",
    }
)  # fmt: skip
_PARAGRAPH_ELEMENTS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})
_CELL_ELEMENTS = frozenset({"td", "th"})
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_LEFTOVER_TAG = re.compile(r"<[a-zA-Z/!?][^<>]*>?")
_TAG_START = re.compile(r"<(?=[a-zA-Z/!?])")


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document, with line breaks where blocks end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # see handle_data: raw "<" is never text
        self.out: list[str] = []
        self._newlines = 0  # newlines at the end of `out`
        self._skipping: list[str] = []
        self._pre = 0

    def _emit(self, text: str) -> None:
        if not text:
            return
        self.out.append(text)
        content = text.rstrip("\n")
        self._newlines = len(text) - len(content) if content else self._newlines + len(text)

    def _break(self, newlines: int) -> None:
        if self.out and self._newlines < newlines:
            self._emit("\n" * (newlines - self._newlines))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if "head" in self._skipping and tag not in _HEAD_ELEMENTS:
            del self._skipping[self._skipping.index("head") :]  # an unclosed <head> ends here
        if tag in _SKIPPED_ELEMENTS:
            self._skipping.append(tag)
        elif tag == "br":
            self._emit("\n")
        elif tag in _LINE_ELEMENTS:
            self._break(1)
        elif tag in _PARAGRAPH_ELEMENTS:
            self._break(2)
            if tag == "pre":
                self._pre += 1
        elif tag in _CELL_ELEMENTS and self.out and self._newlines == 0:
            self._emit(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIPPED_ELEMENTS:  # "<script/>" has nothing to skip
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipping:
            del self._skipping[len(self._skipping) - 1 - self._skipping[::-1].index(tag) :]
        elif tag == "br":  # "</br>" is read as "<br>" by browsers too
            self._emit("\n")
        elif tag in _LINE_ELEMENTS:
            self._break(1)
        elif tag in _PARAGRAPH_ELEMENTS:
            self._break(2)
            if tag == "pre" and self._pre:
                self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        # Charrefs arrive apart (convert_charrefs=False), so a "<" here is broken markup.
        data = _LEFTOVER_TAG.sub("", data)
        if not self._pre:
            data = _HTML_SPACE.sub(" ", data)
            if not self.out or self._newlines:
                data = data.lstrip(" ")
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_text(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.handle_text(unescape(f"&#{name};"))

    def handle_text(self, text: str) -> None:
        if not self._skipping:
            self._emit(text)


def html_to_text(html: str) -> str:
    """The visible text of an HTML body: no script/style/head, blocks on lines, entities decoded.

    Never markup: a "<" that would open a tag (say, from "&lt;b&gt;") is followed by a space.
    """
    extractor = _TextExtractor()
    try:
        extractor.feed(fix_surrogates(html))
        if extractor.rawdata.lstrip().startswith("<"):
            extractor.rawdata = ""  # an unfinished tag at the very end: not text
        extractor.close()
        text = "".join(extractor.out)
    except Exception:  # the parser is lenient, but never let a hostile body break a message
        text = re.sub(r"(?is)<(script|style|head|title)\b.*?</\1\s*>", " ", html)
        text = unescape(_LEFTOVER_TAG.sub(" ", text))
    # Whatever survived as "<tag" (escaped in the source, or broken markup) is defused: never a tag.
    return _TAG_START.sub("< ", tidy(text.replace("\xa0", " ")))
