"""Write the small files of the bad-input corpus into tests/data/bad/ (they are kept in git).

    python scripts/make_bad_corpus.py            # rewrite tests/data/bad/*, deterministically

Each file is one broken, awkward or hostile input; tests/data/bad/manifest.yaml says which
command runs it, the exit status it must give and the message it must print. Files that are
large or special (a 50 MB cell, a gzip bomb, a FIFO, a link to /dev/zero) are not kept: the
runner (scripts/bad_corpus.py) makes them at test time. The base "good" world under
tests/data/bad/good/ is a small valid export that the broken files are variations of.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
N = 60  # leads in the good world


def _subs_rows(date: Callable[[int], str] = lambda i: f"2025-01-{1 + i % 28:02d}",
               n: int = N) -> list[str]:
    rows = ["lead_id,form_id,submitted_at,company_size,phone,consent"]
    for i in range(n):
        form = "demo-a" if i % 2 else "demo-b"
        phone = "" if i % 3 else "yes"
        size = ["1-10", "11-50", "51-200"][i % 3]
        rows.append(f"L{i},{form},{date(i)},{size},{phone if form == 'demo-a' else ''},yes")
    return rows


def _deals() -> list[str]:
    rows = ["lead_id,outcome,amount,created_at,closed_at"]
    for i in range(N):
        outcome = "won" if i % 4 == 0 else "open" if i % 7 == 0 else "lost"
        closed = "" if outcome == "open" else f"2025-02-{1 + i % 28:02d}"
        rows.append(f"L{i},{outcome},{100 + i},2025-01-{1 + i % 28:02d},{closed}")
    return rows


def _daily() -> list[str]:
    rows = ["form_id,date,views,submissions"]
    for day in range(1, 29):
        for form in ("demo-a", "demo-b"):
            rows.append(f"{form},2025-01-{day:02d},{20 + day % 5},{2 if day < 3 else 1}")
    return rows


def _view_rows() -> list[str]:
    """Ten views for every submission, on its form and day."""
    rows = ["form_id,viewed_at,session_id"]
    for i in range(N):
        form = "demo-a" if i % 2 else "demo-b"
        for j in range(10):
            rows.append(f"{form},2025-01-{1 + i % 28:02d}T10:{j:02d}:00,v{i}-{j}")
    return rows


FORMS = """version: 1
fields:
  consent: {protected: "legal: marketing consent"}
forms:
  demo-a:
    experiment: demo
    fields: [company_size, phone, consent]
    optional: [phone]
  demo-b:
    experiment: demo
    fields: [company_size, consent]
"""


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _replace_cell(lines: list[str], row: int, col: int, value: str) -> list[str]:
    out = list(lines)
    cells = out[row].split(",")
    cells[col] = value
    out[row] = ",".join(cells)
    return out


def files() -> dict[str, str | bytes]:
    """Every small corpus file: relative path -> content."""
    subs, deals, daily, rows = _subs_rows(), _deals(), _daily(), _view_rows()
    f: dict[str, str | bytes] = {
        "good/subs.csv": _text(subs), "good/deals.csv": _text(deals),
        "good/views_daily.csv": _text(daily), "good/views.csv": _text(rows),
        "good/forms.yaml": FORMS, "good/config.yaml": "maturity_days: 30\nmargin: 2%\n",
    }
    # --- encodings and line ends
    f["utf16_no_bom.csv"] = _text(subs).encode("utf-16-le")
    f["utf16_be_no_bom.csv"] = _text(subs).encode("utf-16-be")
    f["utf16_bom.csv"] = _text(subs).encode("utf-16")
    f["cr_only.csv"] = "\r".join(subs) + "\r"
    f["crlf.csv"] = "\r\n".join(subs) + "\r\n"
    f["utf8_bom.csv"] = "\ufeff" + _text(subs)
    sub_city = [subs[0] + ",city"] + [r + ",Café" for r in subs[1:]]
    f["cp1252.csv"] = _text(sub_city).encode("cp1252")
    mixed = b"".join((line + "\n").encode("utf-8" if i % 2 else "cp1252")
                     for i, line in enumerate(sub_city))
    f["mixed_utf8_cp1252.csv"] = mixed
    f["nul_bytes.csv"] = b"\x00\x01\x02binary\xff\xfe\x00" * 50
    # --- columns
    f["collide_case_space.csv"] = _text(
        ["lead_id,form_id,submitted_at,phone,Phone,phone "]
        + [f"L{i},demo-a,2025-01-05,1,2,3" for i in range(N)])
    f["missing_form_id.csv"] = _text([",".join(r.split(",")[:1] + r.split(",")[2:]) for r in subs])
    f["missing_lead_key.csv"] = _text([",".join(r.split(",")[1:]) for r in subs])
    f["no_header.csv"] = _text(subs[1:])
    f["header_only.csv"] = _text(subs[:1])
    f["empty.csv"] = ""
    f["blank_lines_only.csv"] = "\n\n\n"
    f["ragged_row.csv"] = _text(subs[:10] + [subs[10] + ",extra,values"] + subs[11:])
    f["unclosed_quote.csv"] = _text(subs[:5] + ['L5,demo-a,2025-01-05,"1-10,yes,yes']
                                    + subs[6:])
    f["semicolon_excel.csv"] = _text([r.replace(",", ";") for r in subs])
    f["tab_in_csv.tsv"] = _text([r.replace(",", "\t") for r in subs])
    f["old_excel.xls"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    f["unknown_ext.docx"] = "not a table\n"
    f["fake.xlsx"] = "lead_id,form_id\nL1,a\n"
    f["fake.parquet"] = "PAR1 but not really\n"
    f["truncated.csv.gz"] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\x4b\x4c" * 10
    f["wide_2000_columns.csv"] = _text(
        [",".join(["lead_id", "form_id"] + [f"c{j}" for j in range(2000)]),
         ",".join(["L1", "demo-a"] + ["x"] * 2000)])
    # --- dates
    f["date_9999.csv"] = _text(_replace_cell(subs, 7, 2, "9999-12-31"))
    f["date_0001.csv"] = _text(_replace_cell(subs, 7, 2, "0001-01-01"))
    f["date_bad.csv"] = _text(_replace_cell(subs, 9, 2, "next tuesday"))
    f["date_email.csv"] = _text(_replace_cell(subs, 9, 2, "susan18922@acme.example"))
    f["date_excel_serial.csv"] = _text(_subs_rows(lambda i: str(45658 + i % 28)))
    f["date_ambiguous.csv"] = _text(_subs_rows(lambda i: f"0{1 + i % 9}/0{1 + i % 3}/2025"))
    f["date_2031_outlier.csv"] = _text(_replace_cell(_subs_rows(n=150), 4, 2, "2031-06-01"))
    f["views_rows_9999.csv"] = _text(_replace_cell(rows, 3, 1, "9999-12-31T00:00:00"))
    f["views_rows_serial.csv"] = _text([rows[0]] + [f"demo-a,{45658 + i % 28},v{i}"
                                                    for i in range(200)])
    f["deals_closed_9999.csv"] = _text(_replace_cell(deals, 5, 4, "9999-12-31"))
    # --- counts and values
    f["views_30_digits.csv"] = _text(_replace_cell(daily, 3, 2, "1" * 30))
    f["views_negative.csv"] = _text(_replace_cell(daily, 3, 2, "-5"))
    f["views_fraction.csv"] = _text(_replace_cell(daily, 3, 2, "2.5"))
    f["views_text.csv"] = _text(_replace_cell(daily, 3, 2, "lots"))
    f["views_phone.csv"] = _text(_replace_cell(daily, 3, 2, "+1 415 555 0199"))
    f["views_blank.csv"] = _text(_replace_cell(daily, 3, 2, ""))
    f["views_fewer_than_subs.csv"] = _text(_replace_cell(_replace_cell(daily, 3, 2, "1"), 3, 3,
                                                         "9"))
    f["views_no_viewed_at.csv"] = _text(["form_id,session_id"] + [f"demo-a,v{i}"
                                                                  for i in range(20)])
    f["views_rows_fewer.csv"] = _text([r for r in rows
                                       if ",v14-" not in r and ",v42-" not in r])
    f["deals_unknown_outcome.csv"] = _text(_replace_cell(deals, 3, 1, "maybe"))
    f["deals_outcome_name.csv"] = _text(_replace_cell(deals, 3, 1, "Susan Miller"))
    f["deals_stage_no_map.csv"] = _text(
        ["lead_id,stage"] + [f"L{i},{['Closed Won', 'Closed Lost', 'Negotiation'][i % 3]}"
                             for i in range(N)])
    f["deals_is_won_only.csv"] = _text(["lead_id,is_won"] + [f"L{i},{i % 2}" for i in range(N)])
    f["deals_is_won_bad.csv"] = _text(["lead_id,is_won,is_closed"]
                                      + [f"L{i},{'maybe' if i == 4 else i % 2},1"
                                         for i in range(N)])
    f["deals_amount_bad.csv"] = _text(_replace_cell(deals, 6, 2, "a lot"))
    f["deals_no_outcome.csv"] = _text(["lead_id,amount"] + [f"L{i},5" for i in range(N)])
    # --- JSON Lines
    recs = [json.dumps(dict(zip(subs[0].split(","), r.split(","), strict=True)))
            for r in subs[1:]]
    f["good.jsonl"] = _text(recs)
    f["records_array.json"] = "[" + ",\n".join(recs) + "]\n"
    f["jsonl_mixed_encoding.jsonl"] = b"".join(
        (json.dumps({"lead_id": f"L{i}", "form_id": "demo-a", "city": "Café"},
                    ensure_ascii=False) + "\n").encode("utf-8" if i % 2 else "cp1252")
        for i in range(20))
    f["jsonl_bad_line.jsonl"] = _text(recs[:4] + ['{"lead_id": "L4", form_id'] + recs[5:])
    f["jsonl_not_object.jsonl"] = _text(recs[:4] + ["[1, 2, 3]"] + recs[5:])
    f["jsonl_nested_value.jsonl"] = _text(
        recs[:4] + [json.dumps({"lead_id": "L4", "form_id": "demo-a",
                                "company_size": {"a": [1, {"b": 2}]}})] + recs[5:])
    # --- forms files
    f["forms_duplicate_key.yaml"] = FORMS.replace("    optional: [phone]\n",
                                                  "    optional: [phone]\n    optional: []\n")
    f["forms_single_variant.yaml"] = FORMS.replace("    experiment: demo\n    fields: "
                                                   "[company_size, consent]", "    fields: "
                                                   "[company_size, consent]")
    f["forms_malformed.yaml"] = "version: 1\nforms:\n  demo-a: [unclosed\n"
    f["forms_fields_not_list.yaml"] = "version: 1\nforms:\n  demo-a:\n    fields: 5\n"
    f["forms_traffic_bad.yaml"] = FORMS.replace("    experiment: demo\n    fields: [company_size, "
                                                "phone", "    experiment: demo\n    traffic: 7\n"
                                                "    fields: [company_size, phone")
    f["forms_a_list.yaml"] = "- demo-a\n- demo-b\n"
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
        f"*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n" for i in range(1, 10))
    f["forms_alias_bomb.yaml"] = ("x-anchors:\n" + "".join("  " + line + "\n"
                                                           for line in bomb.splitlines())
                                  + "version: 1\nfields:\n  consent: {protected: *a9}\n"
                                  + "forms:\n" + FORMS.split("forms:\n", 1)[1])
    f["config_alias_bomb_columns.yaml"] = bomb + "columns: *a9\n"
    f["config_alias_bomb_constants.yaml"] = bomb + "constants: {form_id: *a9}\n"
    f["forms_deep.json"] = "[" * 5000 + "]" * 5000 + "\n"
    # --- config files
    f["config_maturity_abc.yaml"] = "maturity_days: abc\n"
    f["config_segments_5.yaml"] = "segments: 5\n"
    f["config_cp1252.yaml"] = ("columns:\n  Société: form_id\n# café\n").encode("cp1252")
    f["config_unknown_key.yaml"] = "maturity_dayz: 30\n"
    f["config_a_list.yaml"] = "- columns\n- stages\n"
    f["config_margin_bad.yaml"] = "margin: lots\n"
    f["config_as_of_bad.yaml"] = "as_of: yesterday\n"
    f["config_stage_bad.yaml"] = "stages:\n  Closed Won: won\n  Closed Lost: maybe\n"
    f["config_submissions.yaml"] = "submissions: good/subs.csv\nviews: good/views_daily.csv\n"
    f["config_submissions_dict.yaml"] = "submissions: {path: good/subs.csv}\n"
    f["config_limits_bad.yaml"] = "limits: {max_cell_mb: abc}\n"
    f["config_limits_list.yaml"] = "limits: [1, 2]\n"
    f["config_limits_unknown.yaml"] = "limits: {max_rows: 5}\n"
    f["config_limits_cell64.yaml"] = "limits: {max_cell_mb: 64}\n"
    f["config_limits_xml20.yaml"] = "limits: {max_xlsx_xml_mb: 20}\n"
    f["config_limits_cols5.yaml"] = "limits: {max_columns: 5}\n"
    f["config_deep.yaml"] = "columns:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(100))
    f["config_deep.json"] = '{"columns": ' + "[" * 5000 + "]" * 5000 + "}\n"
    f["config_not_json.json"] = "{columns: nope\n"
    # --- found by probing around the corpus
    f["blank_lead_keys.csv"] = _text(["lead_id,form_id,x"] + [f",demo-a,{i}" for i in range(10)])
    f["blank_form_ids.csv"] = _text(["lead_id,form_id,x"] + [f"L{i},,{i}" for i in range(10)])
    f["bom_only.csv"] = "\ufeff"
    f["one_column.csv"] = _text(["lead_id"] + [f"L{i}" for i in range(10)])
    f["repeated_lead_id.csv"] = _text(["lead_id,lead_id,form_id"]
                                      + [f"L{i},M{i},demo-a" for i in range(10)])
    f["deals_no_match.csv"] = _text(["lead_id,outcome"] + [f"X{i},won" for i in range(10)])
    f["deals_all_open.csv"] = _text(["lead_id,outcome"] + [f"L{i},open" for i in range(N)])
    f["views_no_form_id.csv"] = "date,views\n2025-01-02,10\n"
    f["date_bad_offset.csv"] = _text(_subs_rows(lambda i: f"2025-01-0{1 + i % 9}T10:00:00+25:00"))
    f["forms_empty.yaml"] = ""
    f["forms_unknown_field_key.yaml"] = FORMS.replace("protected:", "protectd:")
    f["forms_version_2.yaml"] = FORMS.replace("version: 1", "version: 2")
    f["forms_other_ids.yaml"] = ("version: 1\nforms:\n  1: {fields: [phone]}\n"
                                 "  2: {fields: [phone]}\n")
    f["config_columns_list.yaml"] = "columns: [a, b]\n"
    f["config_all_closed_maybe.yaml"] = "outcomes: {all_closed: maybe}\n"
    f["config_constants_nested.yaml"] = "constants: {form_id: {a: 1}}\n"
    f["config_tab_indent.yaml"] = "columns:\n\tA: b\n"
    f["config_views_missing.yaml"] = "views: not_there.csv\n"
    f["config_as_of_9999.yaml"] = "as_of: 9999-12-31\n"
    f["form_id_is_an_id.csv"] = _text(["lead_id,form_id,submitted_at,x"]
                                      + [f"L{i},page-{i},2025-01-05,{i % 3}" for i in range(2000)])
    f["config_limits_forms5.yaml"] = "limits: {max_forms: 5}\n"
    # YAML 1.1 in hand-written files: dates that are none, names read as numbers or yes/no
    f["forms_since_feb30.yaml"] = ("version: 1\nforms:\n  demo-a:\n    versions:\n"
                                   "      - since: 2025-02-30\n"
                                   "        fields: [company_size, phone]\n"
                                   "  demo-b:\n    fields: [company_size]\n")
    f["forms_started_month13.yaml"] = FORMS.replace(
        "    experiment: demo\n    fields: [company_size, phone",
        "    experiment: demo\n    started: 2025-13-01\n    fields: [company_size, phone")
    f["config_as_of_feb30.yaml"] = "maturity_days: 30\nas_of: 2025-02-30\n"
    f["forms_form_id_octal.yaml"] = ("version: 1\nforms:\n  demo-a: {fields: [phone]}\n"
                                     "  012: {fields: [phone]}\n")
    f["forms_field_on.yaml"] = FORMS.replace("fields: [company_size, consent]",
                                             "fields: [company_size, consent, on]")
    f["config_segment_no.yaml"] = "segments: [device, no]\n"
    # a CSV whose form ids and field names carry newlines and workflow commands
    f["hostile_strings.csv"] = _text(
        ['lead_id,form_id,submitted_at,"::error::field"'] +
        [f'L{i},"demo-a\n::add-mask::x",2025-01-{1 + i % 28:02d},"v{i % 3}"' for i in range(N)])
    return f


def write_small(dest: Path = BAD) -> int:
    """Write every small file under ``dest``; return how many."""
    count = 0
    for rel, content in files().items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        count += 1
    return count


if __name__ == "__main__":
    print(f"wrote {write_small(Path(sys.argv[1]) if len(sys.argv) > 1 else BAD)} files")
