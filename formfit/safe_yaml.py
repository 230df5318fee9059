"""YAML and JSON read with limits: an alias bomb or a deeply nested document is refused.

``yaml.safe_load`` is safe from code execution, not from size: nine lines of anchors and
aliases (``a9: [*a8, *a8, ...]``) describe a billion values, which expand as soon as formfit
turns them into strings (a forms file's ``protected:`` reason, a config's ``columns:``). Here
the composed document is measured first, counting every alias as the nodes it stands for, and
refused past :data:`MAX_NODES`; nesting deeper than :data:`MAX_DEPTH` is refused too (Python's
recursion limit would otherwise end the run with a traceback), and so is a key written twice in
one block (YAML keeps the last silently: a form listed twice would lose its first fields).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

MAX_NODES = 200_000  # a forms file of a thousand forms has a few tens of thousands
MAX_DEPTH = 64


class YAMLLimitError(yaml.YAMLError):
    """A document too large once its aliases are expanded, or nested too deeply."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = None


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


def load_yaml(text: str) -> Any:
    """``text`` parsed as YAML with the safe loader, within the limits above."""
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when built
    loader = loader_class(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YAMLLimitError(f"it is nested more than {MAX_DEPTH} levels deep") from None
        if node is None:
            return None
        _expanded_size(node, {}, 0)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_json(text: str) -> Any:
    """``text`` parsed as JSON; nesting past Python's recursion limit is a JSONDecodeError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(f"nested more than {MAX_DEPTH} levels deep", text, 0) from None
