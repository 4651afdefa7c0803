"""Header values read safely: every string a valid single line of Unicode, ids bracketed,
addresses checked, and no header long enough to make the parser's cost blow up."""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import AddressHeader, BaseHeader, HeaderRegistry
from email.message import Message
from email.utils import getaddresses
from typing import Any

# The modern header parser needs memory quadratic in a value's length (40 kB of encoded words
# take hundreds of MB): values are cut to this before any parsing; no real header comes close.
MAX_HEADER_CHARS = 8 * 1024
CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
SPACES = re.compile(r"\s+")


class _MimeTextHeader(BaseHeader):
    """A MIME structure header (Content-Type, -Disposition, -Transfer-Encoding) kept as text.

    The parser and `Message.get_content_type`, `get_param`, `get_filename`... only read these
    headers' text, while the modern structured parse costs about 100 microseconds per header
    and per access: tens of seconds for a 25 MB message made of tiny parts.
    """

    max_count = None

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["parse_tree"] = None  # only for re-serialising, which parsed mail never is
        kwds["decoded"] = value


class _CappedHeaderRegistry(HeaderRegistry):
    """The default header classes, fed at most `MAX_HEADER_CHARS` of each value."""

    def __init__(self) -> None:
        super().__init__()
        for name in ("content-type", "content-disposition", "content-transfer-encoding"):
            self.map_to_type(name, _MimeTextHeader)
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        # The base class builds a new class on every call, the main cost of a simple header.
        name = name.lower()
        cls = self._classes.get(name)
        if cls is None:
            cls = super().__getitem__(name)
            if len(self._classes) < 100:  # the module reads a few names; never grow unbounded
                self._classes[name] = cls
        return cls

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if isinstance(value, str) and len(value) > MAX_HEADER_CHARS:
            value = value[:MAX_HEADER_CHARS]
        return super().__call__(name, value)


# The modern policy, with the two changes above; `Message` objects never leave this package.
POLICY = policy.default.clone(header_factory=_CappedHeaderRegistry())


_ID = re.compile(r"<([\x21-\x3b\x3d\x3f-\x7e]{1,500})>")  # printable ASCII, no "<", ">"
_BARE_ID = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]{1,500}")
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # categories Cc, Zl, Zp
_ADDRESS = re.compile(
    r"[^\x00-\x20\x7f<>()\[\],;:\"\\@]{1,64}@[^\x00-\x20\x7f<>()\[\],;:\"\\@]{1,255}"
)


def raw_values(msg: Message, name: str) -> list[str]:
    """Every value of a header as received (unfolded), without the policy's parsing."""
    values: list[str] = []
    for key, value in msg.raw_items():
        if key.lower() == name:
            values.append(fix_surrogates(str(value).replace("\r", "").replace("\n", "")))
    return values


def first(msg: Message, name: str) -> str:
    """The first value of a header, or ""."""
    values = raw_values(msg, name)
    return values[0] if values else ""


def ids(value: str) -> list[str]:
    """The "<...>" message ids in a header value; a lone bare id is accepted and bracketed."""
    found = [f"<{m}>" for m in _ID.findall(value)]
    if not found and _BARE_ID.fullmatch(value.strip()) and "@" in value:
        found = [f"<{value.strip()}>"]
    return found


def missing_id(raw: bytes) -> str:
    """A stable stand-in for a missing Message-ID, derived from the bytes."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@missing.imageko>"


def decode_header_text(value: str) -> str:
    """An unstructured header value with its RFC 2047 encoded words decoded, best effort."""
    if "=?" not in value:
        return value
    try:
        return fix_surrogates(str(POLICY.header_factory("subject", value)))
    except Exception:
        pass
    try:
        return fix_surrogates(str(make_header(decode_header(value[:MAX_HEADER_CHARS]))))
    except Exception:
        return value


def addresses(value: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address-list header value, best effort."""
    try:
        header = POLICY.header_factory("to", value)
        if isinstance(header, AddressHeader):
            return [
                (fix_surrogates(a.display_name), fix_surrogates(a.addr_spec).strip())
                for a in header.addresses
            ]
    except Exception:
        pass
    try:
        pairs = getaddresses([value[:MAX_HEADER_CHARS]])
        return [(decode_header_text(name), addr.strip()) for name, addr in pairs]
    except Exception:
        return []


def valid_address(addr: str) -> bool:
    """Whether `addr` looks like a deliverable address (local@domain, no odd characters)."""
    return bool(_ADDRESS.fullmatch(addr))


def envelope_address(envelope_sender: str | None) -> str | None:
    """The envelope sender, lowercased and unbracketed; "" for a null sender."""
    if envelope_sender is None:
        return None
    value = fix_surrogates(str(envelope_sender)).strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value.lower()


def one_line(value: str, limit: int) -> str:
    """A header-safe single line: control characters and line breaks become spaces."""
    value = _LINE_BREAKING.sub(" ", fix_surrogates(value[:MAX_HEADER_CHARS]))
    return SPACES.sub(" ", value).strip()[:limit].rstrip()


def fix_surrogates(value: str) -> str:
    """Lone surrogates (undecodable bytes kept by the parser) turned back into text."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:  # bytes smuggled through "surrogateescape": often valid UTF-8 after all
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
