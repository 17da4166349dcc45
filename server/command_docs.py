"""Command argument docs: a command's `syntax` string → the argument tree COMMAND DOCS sends.

The syntax string is Redis's documented notation, written by hand from the docs, plus
a few suffixes for what the notation cannot show. No I/O, no replies, no registry.

Notation (the inverse of the way Redis's docs render an argument tree):
  word        a value argument (type string unless annotated); "quoted" when the name
              holds a character of the notation itself, as "ip:port" does
  WORD        a token: alone it is a pure-token argument named word; followed by an
              argument it becomes that argument's token
  [ ... ]     optional; `[A | B]` an optional oneof
  < ... >     required grouping: `<A | B>` a oneof, `<a b>` or `<a>` a block
  x [x ...]   x may repeat (multiple); `TOKEN x [TOKEN x ...]` adds multiple_token;
              `<A | B [A | B ...]>` is a oneof that may repeat, as Redis's docs write it
  A group whose content is a token followed by two or more arguments is a block with
  that token (`[AUTH username password]`); any other several-argument group is a
  block without one. A block or oneof is named after its children joined by "_"
  (`key value [key value ...]` is the block key_value), as Redis mostly names them.

Suffixes, written right after a word or a closing bracket (no space):
  :type       key, integer, double, unix-time, pattern (string is the default)
  =name       the argument's name when the default is not Redis's
  @version    since           !version   deprecated_since
  #n          key_spec_index (keys are otherwise numbered in order of appearance; a
              pattern that names keys, as SORT's, may have one too)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

VALUE_TYPES = ("key", "string", "integer", "double", "unix-time", "pattern")


class SyntaxNotationError(ValueError):
    """A syntax string that does not parse; raised at declaration time."""


@dataclass
class Arg:
    """One node of COMMAND DOCS's argument tree, fields as Redis names them."""

    name: str
    type: str  # one of VALUE_TYPES, "pure-token", "oneof" or "block"
    token: str | None = None
    since: str | None = None
    deprecated_since: str | None = None
    key_spec_index: int | None = None
    display_text: str | None = None
    optional: bool = False
    multiple: bool = False
    multiple_token: bool = False
    arguments: list["Arg"] = field(default_factory=list)

    @property
    def flags(self) -> list[str]:
        return [name for name, on in (("optional", self.optional), ("multiple", self.multiple),
                                      ("multiple_token", self.multiple_token)) if on]


# ---------------------------------------------------------------- parsing

_TOKEN_RE = re.compile(r"""
    \s*(?:
        (?P<punct>\.\.\.|[\[\]<>|])
      | (?P<word>"[^"]+"|[A-Za-z0-9][A-Za-z0-9_/-]*)
    )
    (?P<annot>(?:[:=@!\#][^\s\[\]<>|:=@!\#]+)*)
""", re.VERBOSE)

_ANNOT_RE = re.compile(r"([:=@!#])([^:=@!#]+)")


@dataclass
class _Element:
    """A piece of the notation before tokens are attached: a word or a bracket group."""

    kind: str  # "token", "value" or "group"
    text: str = ""  # the token or the value's name
    annot: dict[str, str] = field(default_factory=dict)
    bracket: str = ""  # "[" or "<" for a group
    alternatives: list[list["_Element"]] = field(default_factory=list)
    is_repeat: bool = False  # `[... ...]`: repeats what precedes it


def _annotations(text: str, where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for mark, value in _ANNOT_RE.findall(text):
        if mark in found:
            raise SyntaxNotationError(f"{where}: {mark} given twice")
        if mark == ":" and value not in VALUE_TYPES:
            raise SyntaxNotationError(f"{where}: unknown type {value!r}")
        found[mark] = value
    return found


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str, dict[str, str]]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN_RE.match(text, pos)
            if match is None or match.end() == pos:
                raise SyntaxNotationError(f"{text!r}: cannot read at {text[pos:]!r}")
            punct, word, annot = match.group("punct"), match.group("word"), match.group("annot")
            if annot and punct not in (None, "]", ">"):
                raise SyntaxNotationError(f"{text!r}: a suffix must follow a word or a bracket")
            if punct is not None:
                self.items.append(("punct", punct, _annotations(annot, text)))
            else:
                self.items.append(("word", word, _annotations(annot, text)))
            pos = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, dict[str, str]] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def take(self) -> tuple[str, str, dict[str, str]]:
        item = self.items[self.index]
        self.index += 1
        return item


def _read_alternatives(reader: _Reader, closer: str | None) -> tuple[list[list[_Element]], bool]:
    """Sequences separated by "|" up to `closer`; also whether "..." ended the last one."""
    alternatives: list[list[_Element]] = [[]]
    is_repeat = False
    while True:
        item = reader.peek()
        if item is None:
            if closer is not None:
                raise SyntaxNotationError(f"{reader.text!r}: missing {closer!r}")
            return alternatives, is_repeat
        kind, text, annot = item
        if kind == "punct" and text == closer:
            return alternatives, is_repeat
        reader.take()
        if is_repeat:
            raise SyntaxNotationError(f"{reader.text!r}: '...' must end its group")
        if kind == "word":
            name = text.strip('"')
            is_token = not text.startswith('"') and text.upper() == text and any(
                c.isalpha() for c in text)
            alternatives[-1].append(_Element("token" if is_token else "value", name, annot))
        elif text == "|":
            alternatives.append([])
        elif text == "...":
            is_repeat = True
        elif text in "[<":
            inner, repeats = _read_alternatives(reader, "]" if text == "[" else ">")
            _, _, close_annot = reader.take()
            if repeats and text != "[":
                raise SyntaxNotationError(f"{reader.text!r}: repetition must be written [x ...]")
            alternatives[-1].append(_Element(
                "group", annot=close_annot, bracket=text, alternatives=inner, is_repeat=repeats))
        else:
            raise SyntaxNotationError(f"{reader.text!r}: unexpected {text!r}")


def _plain(elements: list[_Element]) -> str:
    """The elements as Redis's docs print them, suffixes dropped, for matching repeats."""
    parts = []
    for element in elements:
        if element.kind != "group":
            parts.append(element.text)
            continue
        inner = " | ".join(_plain(alt) for alt in element.alternatives)
        if element.is_repeat:
            parts.append(f"[{inner} ...]")
        elif element.bracket == "[":
            parts.append(f"[{inner}]")
        elif len(element.alternatives) > 1:
            parts.append(f"<{inner}>")
        else:
            parts.append(inner)  # the docs never bracket a required block
    return " ".join(parts)


@dataclass
class _Repeat:
    """`x [x ...]`: the elements of x, and the suffixes written on the repeat group."""

    elements: list[_Element]
    annot: dict[str, str]


@dataclass
class _Tokened:
    """A token and the argument it introduces (`EX seconds`)."""

    token: _Element
    unit: "_Element | _Repeat"


_Unit = _Element | _Repeat | _Tokened


def _is_token(item: object) -> bool:
    return isinstance(item, _Element) and item.kind == "token"


class _Builder:
    """Elements → Args; numbers key arguments in order of appearance."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.next_key_index = 0

    def fail(self, message: str) -> SyntaxNotationError:
        return SyntaxNotationError(f"{self.text!r}: {message}")

    def sequence(self, elements: list[_Element]) -> list[Arg]:
        return [self.unit(unit) for unit in self._units(elements)]

    def single(self, elements: list[_Element]) -> Arg:
        """A sequence that must be one argument: the content of a group or an alternative."""
        pending = self._repeats(elements)
        units = self._attach_tokens(pending)
        if len(units) == 1:
            return self.unit(units[0])
        first = pending[0]
        rest = self._attach_tokens(pending[1:])
        if isinstance(first, _Element) and first.kind == "token" and len(rest) >= 2:
            block = self.block([self.unit(u) for u in rest])
            block.token = first.text
            self.apply(block, first.annot)
            return block
        return self.block([self.unit(u) for u in units])

    def _units(self, elements: list[_Element]) -> list[_Unit]:
        return self._attach_tokens(self._repeats(elements))

    def _repeats(self, elements: list[_Element]) -> list[_Element | _Repeat]:
        """Fold each `x [x ...]` into a _Repeat of x's elements."""
        pending: list[_Element | _Repeat] = []
        for element in elements:
            if not (element.kind == "group" and element.is_repeat):
                pending.append(element)
                continue
            pattern = " | ".join(_plain(alt) for alt in element.alternatives)
            for count in range(1, len(pending) + 1):
                tail = pending[-count:]
                plain = [e for e in tail if isinstance(e, _Element)]
                if len(plain) == count and _plain(plain) == pattern:
                    del pending[-count:]
                    pending.append(_Repeat(plain, element.annot))
                    break
            else:
                raise self.fail(f"[{pattern} ...] repeats nothing before it")
        return pending

    @staticmethod
    def _attach_tokens(pending: list[_Element | _Repeat]) -> list[_Unit]:
        """Give each token to the argument after it, unless that is a token too."""
        units: list[_Unit] = []
        index = 0
        while index < len(pending):
            item = pending[index]
            following = pending[index + 1] if index + 1 < len(pending) else None
            if isinstance(item, _Element) and _is_token(item) and following is not None \
                    and not _is_token(following):
                units.append(_Tokened(item, following))
                index += 2
            else:
                units.append(item)
                index += 1
        return units

    def unit(self, unit: _Unit) -> Arg:
        if isinstance(unit, _Element):
            return self.element(unit)
        if isinstance(unit, _Tokened):
            arg = self.unit(unit.unit)
            if arg.token is not None:
                raise self.fail(f"two tokens for {arg.name}")
            arg.token = unit.token.text
            self.apply(arg, unit.token.annot)
            return arg
        elements = unit.elements
        if len(elements) > 1 and _is_token(elements[0]):
            # TOKEN x [TOKEN x ...]: the token repeats with the value.
            arg = self.single(elements)
            arg.multiple_token = True
        else:
            arg = self.single(elements) if len(elements) > 1 else self.element(elements[0])
        arg.multiple = True
        self.apply(arg, unit.annot)
        return arg

    def element(self, element: _Element) -> Arg:
        if element.kind == "token":
            arg = Arg(element.text.lower(), "pure-token", token=element.text)
        elif element.kind == "value":
            arg = Arg(element.text, element.annot.get(":", "string"))
            if arg.type == "key":
                arg.key_spec_index = self.next_key_index
                self.next_key_index += 1
        else:
            arg = self.group(element)
        self.apply(arg, element.annot)
        return arg

    def group(self, element: _Element) -> Arg:
        alternatives = element.alternatives
        is_repeating_oneof = False
        last = alternatives[-1]
        # Redis's docs write a oneof that may repeat with the repeat inside its last
        # alternative: <A | B [A | B ...]>.
        if len(alternatives) > 1 and last and last[-1].kind == "group" and last[-1].is_repeat:
            repeat = last[-1]
            whole = " | ".join(_plain(alt) for alt in alternatives[:-1] + [last[:-1]])
            if " | ".join(_plain(alt) for alt in repeat.alternatives) == whole:
                alternatives = alternatives[:-1] + [last[:-1]]
                is_repeating_oneof = True
        if any(not alt for alt in alternatives):
            raise self.fail("empty alternative")
        if len(alternatives) > 1:
            arg = Arg("", "oneof", arguments=[self.single(alt) for alt in alternatives])
            arg.name = "_".join(child.name for child in arg.arguments)
            arg.multiple = is_repeating_oneof
        else:
            is_one_unit = len(self._units(alternatives[0])) == 1
            arg = self.single(alternatives[0])
            if element.bracket == "<" and is_one_unit and arg.type != "oneof":
                arg = self.block([arg])  # `<x>`: a block of one, as CONFIG GET's parameter
        if element.bracket == "[":
            arg.optional = True
        return arg

    def block(self, children: list[Arg]) -> Arg:
        return Arg("_".join(child.name for child in children), "block", arguments=children)

    def apply(self, arg: Arg, annot: dict[str, str]) -> None:
        if ":" in annot and arg.type not in VALUE_TYPES:
            raise self.fail(f"{arg.name}: only a value argument has a type")
        if "=" in annot:
            arg.name = annot["="]
        if "@" in annot:
            arg.since = annot["@"]
        if "!" in annot:
            arg.deprecated_since = annot["!"]
        if "#" in annot:
            # A pattern naming keys has one too (SORT's BY and GET).
            if arg.type not in ("key", "pattern"):
                raise self.fail(f"{arg.name}: only a key or a pattern has a key_spec_index")
            arg.key_spec_index = int(annot["#"])


def parse_syntax(text: str) -> list[Arg]:
    """A command's arguments (after its name) from the notation above."""
    reader = _Reader(text)
    alternatives, is_repeat = _read_alternatives(reader, None)
    if len(alternatives) > 1 or is_repeat:
        raise SyntaxNotationError(f"{text!r}: '|' and '...' belong inside a group")
    return _Builder(text).sequence(alternatives[0])


# ---------------------------------------------------------------- rendering

def render_syntax(args: list[Arg]) -> str:
    """The syntax line Redis's documentation shows for an argument tree."""
    return " ".join(_render(arg) for arg in args)


def _render(arg: Arg) -> str:
    if arg.type == "block":
        body = " ".join(_render(child) for child in arg.arguments)
    elif arg.type == "oneof":
        body = " | ".join(_render(child) for child in arg.arguments)
    elif arg.type == "pure-token":
        body = ""
    else:
        body = arg.display_text or arg.name
    if arg.multiple:
        again = f"{arg.token} {body}" if arg.multiple_token and arg.token else body
        body = f"{body} [{again} ...]"
    if arg.type == "oneof" and (arg.token or not arg.optional):
        body = f"<{body}>"
    if arg.token:
        body = f"{arg.token} {body}" if body else arg.token
    return f"[{body}]" if arg.optional else body
