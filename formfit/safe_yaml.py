"""YAML and JSON read with limits: an alias bomb or a deeply nested document is refused.

``yaml.safe_load`` is safe from code execution, not from size: nine lines of anchors and
aliases (``a9: [*a8, *a8, ...]``) describe a billion values, which expand as soon as formfit
turns them into strings (a forms file's ``protected:`` reason, a config's ``columns:``). Here
the composed document is measured first, counting every alias as the nodes it stands for, and
refused past :data:`MAX_NODES`; nesting deeper than :data:`MAX_DEPTH` is refused too (Python's
recursion limit would otherwise end the run with a traceback), and so is a key written twice in
one block (YAML keeps the last silently: a form listed twice would lose its first fields).

Two more things YAML 1.1 does to a hand-written file are caught here, each as a
:class:`YAMLValueError` with the line, the value and the fix:

* a value that looks like a date but is none (``since: 2025-02-30``, ``as_of: 2025-13-01``):
  PyYAML's constructor raises a bare ValueError, which used to end the run with a traceback;
* a name that YAML reads as something else (form id ``012`` is the number 10, ``12:30`` is
  750, field ``on`` is true, ``null`` is no value): the caller says where its file names
  things (``names=``), and a name there whose text YAML changed is refused, with its quoted
  form as the fix. Numbers and dates YAML keeps as written (form id ``1234``) are accepted.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Collection, Iterator, Mapping
from datetime import date, datetime
from typing import Any

import yaml

MAX_NODES = 200_000  # a forms file of a thousand forms has a few tens of thousands
MAX_DEPTH = 64

# Steps of a path in ``load_yaml(names=...)``: ANY goes into every value of a mapping or every
# item of a list; KEYS, last, stands for the keys of the mapping reached. A path that ends
# otherwise names the values it reaches (the items of a list, with ANY last).
ANY = "*"
KEYS = "<keys>"
NamePaths = Mapping[tuple[str, ...], str]  # path -> what the names there are ("field name")

_STR = "tag:yaml.org,2002:str"
_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[Tt\s])")


class YAMLLimitError(yaml.YAMLError):
    """A document too large once its aliases are expanded, or nested too deeply."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = None


class YAMLValueError(yaml.YAMLError):
    """A well-formed document holding a value that cannot be used as written: an impossible
    date, or a name YAML reads as a number, a yes/no or null. ``problem`` says what (without
    the file or line), ``problem_mark`` where, ``hint`` how to fix it."""

    def __init__(self, problem: str, mark: Any, hint: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark
        self.hint = hint

    @property
    def line(self) -> int | None:
        """The 1-based line of the value, or None."""
        return None if self.problem_mark is None else int(self.problem_mark.line) + 1


class _ValueFailed(Exception):
    """Raised inside the constructor: ``node`` could not be built; ``cause`` says why."""

    def __init__(self, node: yaml.Node, cause: Exception) -> None:
        super().__init__(str(cause))
        self.node = node
        self.cause = cause


def date_problem(text: str) -> str | None:
    """Why ``text``, shaped YYYY-MM-DD, is not a day the calendar has ("February 2025 has 28
    days"); None when it is not so shaped or its year, month and day exist."""
    match = _DATE.match(str(text))
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    if year < 1:
        return "there is no year 0"
    if not 1 <= month <= 12:
        if 1 <= day <= 12:
            return (f"there is no month {month} (dates are year-month-day: "
                    f"{year:04d}-{day:02d}-{month:02d}?)")
        return f"there is no month {month}"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"{calendar.month_name[month]} {year} has {last} days"
    return None


def _expanded_size(node: yaml.Node, memo: dict[int, int], depth: int) -> int:
    if depth > MAX_DEPTH:
        raise YAMLLimitError(f"it is nested more than {MAX_DEPTH} levels deep")
    key = id(node)
    if key in memo:
        if memo[key] < 0:
            raise YAMLLimitError("an alias refers to the block that contains it")
        return memo[key]
    memo[key] = -1
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo, depth + 1) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    raise YAMLLimitError(
                        f"the key {k.value[:60]!r} appears twice in one block (lines "
                        f"{seen[k.value] + 1} and {k.start_mark.line + 1}); YAML would keep "
                        "only the last")
                seen[k.value] = k.start_mark.line
            size += _expanded_size(k, memo, depth + 1) + _expanded_size(v, memo, depth + 1)
    if size > MAX_NODES:
        raise YAMLLimitError(f"its anchors and aliases expand to more than {MAX_NODES:,} "
                             "values (an alias bomb?)")
    memo[key] = size
    return size


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when built


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader (same tags, same resolvers), whose constructor reports the node of a
    value it cannot build instead of a bare ValueError."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            if isinstance(exc, yaml.YAMLError):  # a ConstructorError says where already
                raise
            raise _ValueFailed(node, exc) from None


def _parent_key(root: yaml.Node, target: yaml.Node) -> str | None:
    """The key ``target`` is the value of (or, for a list item, the key of its list)."""
    stack: list[tuple[yaml.Node, str | None]] = [(root, None)]
    seen: set[int] = set()
    while stack:
        node, key = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                name = str(k.value) if isinstance(k, yaml.ScalarNode) else None
                if v is target:
                    return name
                stack.append((v, name))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if item is target:
                    return key
                stack.append((item, key))
    return None


def _value_error(root: yaml.Node, failed: _ValueFailed) -> YAMLValueError:
    """The message for a value the constructor could not build: "since '2025-02-30' is not a
    date: February 2025 has 28 days", with the key it is under when it has one."""
    node = failed.node
    text = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
    key = _parent_key(root, node)
    named = f"{key} {text[:80]!r}" if key else repr(text[:80])
    if node.tag == "tag:yaml.org,2002:timestamp":
        reason = date_problem(text) or (str(failed.cause) if isinstance(failed.cause, ValueError)
                                        else "it is not written YYYY-MM-DD")
        return YAMLValueError(f"{named} is not a date: {reason}.", node.start_mark,
                              "Give it as YYYY-MM-DD, a day the calendar has.")
    kind = str(node.tag).rsplit(":", 1)[-1]
    cause = ("it is not one of true, false, yes, no, on, off" if isinstance(failed.cause, KeyError)
             else str(failed.cause))
    return YAMLValueError(f"{named} cannot be read as {kind}: {cause}.", node.start_mark,
                          f"Quote it to keep it as text, or write it as a valid {kind}.")


def _reached(node: yaml.Node, path: tuple[str, ...]) -> Iterator[yaml.Node]:
    """The nodes ``path`` leads to from ``node`` (see :data:`ANY` and :data:`KEYS`)."""
    if not path:
        yield node
        return
    step, rest = path[0], path[1:]
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if step == KEYS and not rest:
                yield k
            elif step == ANY or (isinstance(k, yaml.ScalarNode) and k.value == step):
                yield from _reached(v, rest)
    elif isinstance(node, yaml.SequenceNode) and step == ANY:
        for item in node.value:
            yield from _reached(item, rest)


def _what_yaml_made(value: Any) -> str:
    if value is None:
        return "null, no value"
    if isinstance(value, bool):
        return f"the yes/no value {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, (date, datetime)):
        return f"the date {value}"
    return f"a {type(value).__name__}"


def _check_names(loader: Any, root: yaml.Node, names: NamePaths,
                 nullable: Collection[tuple[str, ...]]) -> None:
    """Refuse a name (where ``names`` says the file names things) that YAML did not keep as
    written: a yes/no always, a null unless its path is ``nullable``, a number or a date whose
    text it changed."""
    for path, what in names.items():
        for node in _reached(root, path):
            if not isinstance(node, yaml.ScalarNode) or node.tag == _STR:
                continue
            value = loader.construct_object(node, deep=True)
            text = str(node.value)
            if value is None and path in nullable:
                continue  # experiment: null is no experiment
            if isinstance(value, str) or (value is not None and not isinstance(value, bool)
                                          and str(value) == text):
                continue  # form id 1234 is the text 1234, whatever YAML calls it
            if value is None and not text.strip():
                raise YAMLValueError(f"a {what} is empty.", node.start_mark,
                                     f"Write the {what}, or remove the empty entry.")
            hint = (f"Quote it: '{text}' (unquoted, YAML reads yes, no, on, off and null as "
                    "values, and 012, 1_000 and 12:30 as numbers).")
            if value is None:
                hint = f"Write the {what}; if it is '{text}', quote it: '{text}'."
            raise YAMLValueError(
                f"{what} {text} is read by YAML as {_what_yaml_made(value)}, not as the text "
                f"'{text}'.", node.start_mark, hint)


def load_yaml(text: str, names: NamePaths | None = None,
              nullable: Collection[tuple[str, ...]] = ()) -> Any:
    """``text`` parsed as YAML with the safe loader, within the limits above.

    ``names`` maps the paths where the document names things (form ids, field names, column
    names) to what they are; a name there that YAML turned into something else is refused.
    At the paths in ``nullable`` a null means "none" and is accepted (``experiment: null``).
    Raises a :class:`yaml.YAMLError` (:class:`YAMLLimitError`, :class:`YAMLValueError`, or
    PyYAML's own with its mark) for anything that cannot be used.
    """
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YAMLLimitError(f"it is nested more than {MAX_DEPTH} levels deep") from None
        if node is None:
            return None
        _expanded_size(node, {}, 0)
        try:
            data = loader.construct_document(node)
            _check_names(loader, node, names or {}, nullable)
        except _ValueFailed as failed:
            raise _value_error(node, failed) from None
        return data
    finally:
        loader.dispose()


def load_json(text: str) -> Any:
    """``text`` parsed as JSON; nesting past Python's recursion limit is a JSONDecodeError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(f"nested more than {MAX_DEPTH} levels deep", text, 0) from None
