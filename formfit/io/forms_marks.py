"""Where things are in a forms file: the line of each form, its `fields:` list and each field.

`formfit check` points its annotations at the line a change is on, so the forms file is parsed
twice: once for its values (:mod:`formfit.io.forms`) and once, with PyYAML's composer, for the
start marks of the nodes. JSON forms files are composed by the same YAML parser (JSON is, for
these files, YAML); when that fails the marks are simply empty and annotations carry no line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from formfit.inputs import FormsConfig
from formfit.io.forms import load_forms_data, parse_forms


@dataclass(frozen=True)
class FormsMarks:
    """1-based line numbers in one forms file; a key is absent when its node is absent.

    For a form with ``versions`` the lists are those of its latest version (the last entry
    by ``since``), which is what `check` compares.
    """

    forms: int | None = None  # the `forms:` key
    policy: int | None = None  # the `policy:` key
    form: dict[str, int] = field(default_factory=dict)  # form id -> its key
    fields_list: dict[str, int] = field(default_factory=dict)  # form id -> `fields:` key
    optional_list: dict[str, int] = field(default_factory=dict)  # form id -> `optional:` key
    field_item: dict[tuple[str, str], int] = field(default_factory=dict)  # (form, casefold)
    optional_item: dict[tuple[str, str], int] = field(default_factory=dict)
    catalogue: dict[str, int] = field(default_factory=dict)  # casefold field -> catalogue key

    def of_field(self, form_id: str, name: str) -> int | None:
        """The line of ``name`` in the form's fields list, else of the list, else the form."""
        return (self.field_item.get((form_id, name.casefold()))
                or self.fields_list.get(form_id) or self.form.get(form_id))

    def of_form(self, form_id: str) -> int | None:
        return self.form.get(form_id) or self.forms


@dataclass(frozen=True)
class FormsDocument:
    """A parsed forms file with its line marks and its raw `policy:` section (or None)."""

    config: FormsConfig
    marks: FormsMarks
    policy: Any
    source: str


def read_forms_text(text: str, source: str, is_json: bool = False) -> FormsDocument:
    """Parse a forms file's text (from disk, git or stdin) with its line marks."""
    data = load_forms_data(text, source, is_json)
    config = parse_forms(data, source)
    policy = data.get("policy") if isinstance(data, dict) else None
    return FormsDocument(config=config, marks=forms_marks(text), policy=policy, source=source)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _items(node: yaml.Node) -> list[tuple[str, yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(str(k.value).strip(), k, v) for k, v in node.value
            if isinstance(k, yaml.ScalarNode)]


def _list(node: yaml.Node, form_id: str, out: dict[tuple[str, str], int]) -> None:
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if isinstance(item, yaml.ScalarNode):
                out.setdefault((form_id, str(item.value).strip().casefold()), _line(item))


def _version_lists(form_id: str, node: yaml.Node, marks: FormsMarks) -> None:
    for key, knode, value in _items(node):
        if key == "fields":
            marks.fields_list[form_id] = _line(knode)
            _list(value, form_id, marks.field_item)
        elif key == "optional":
            marks.optional_list[form_id] = _line(knode)
            _list(value, form_id, marks.optional_item)


def _latest_version(node: yaml.Node) -> yaml.Node | None:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        return None
    dated = []
    for i, v in enumerate(node.value):
        since = next((str(val.value) for k, _, val in _items(v) if k == "since"
                      and isinstance(val, yaml.ScalarNode)), "")
        dated.append((since, i, v))
    latest: yaml.Node = max(dated, key=lambda t: (t[0], t[1]))[2]
    return latest


def forms_marks(text: str) -> FormsMarks:
    """Line marks of a forms file's text; empty marks when it cannot be composed."""
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return FormsMarks()
    if root is None:
        return FormsMarks()
    top = {key: (knode, value) for key, knode, value in _items(root)}
    forms_key = top.get("forms")
    policy_key = top.get("policy")
    marks = FormsMarks(forms=_line(forms_key[0]) if forms_key else None,
                       policy=_line(policy_key[0]) if policy_key else None)
    if "fields" in top:
        for name, knode, _ in _items(top["fields"][1]):
            marks.catalogue[name.casefold()] = _line(knode)
    if forms_key is None:
        return marks
    for form_id, knode, value in _items(forms_key[1]):
        marks.form[form_id] = _line(knode)
        spec = dict((k, v) for k, _, v in _items(value))
        if "versions" in spec:
            latest = _latest_version(spec["versions"])
            if latest is not None:
                _version_lists(form_id, latest, marks)
        else:
            _version_lists(form_id, value, marks)
    return marks
