"""No planted personal data survives into anything assist persists or reports.

Luhn-valid card numbers, Chinese resident identity numbers with a correct
ISO 7064 MOD 11-2 check character, mainland mobile numbers and e-mail
addresses are planted in labelled history. Then ``assist import`` (library
files and holdout file), ``assist validate``, ``assist build`` (index files),
``assist evaluate`` (with ``--calibrate``; ``--json`` and table output saved
to files) run on it, and every file written under the test folder, except the
input files the test wrote itself, is searched for the planted numbers in any
spacing or width. ``assist suggest --json`` is the live answer and is not checked.
"""

from __future__ import annotations

import csv
import json
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assist.cli import app
from tests.pii_samples import id_check, luhn_complete, luhn_valid

runner = CliRunner()
REGIONS = ("110101", "310104", "440305", "510107", "330106", "420102", "610113", "210102")


def card_number(rng: random.Random) -> str:
    prefix, length = rng.choice(
        [
            ("622202", 19),
            ("621700", 19),
            ("625800", 16),
            ("4", 16),
            ("53", 16),
            ("37", 15),
            ("35", 16),
            ("6011", 16),
            ("62", 17),
        ]
    )
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    number = luhn_complete(body)
    assert luhn_valid(number) and len(number) == length
    return number


def resident_id(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    body = rng.choice(REGIONS) + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return body + id_check(body)


def mobile_number(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c == "X" else c for c in text)


def written(kind: str, number: str, rng: random.Random) -> str:
    """One way a customer (or an agent's note) writes the number."""
    style = rng.choice(["solid", "solid", "spaced", "hyphen", "wide"])
    if kind == "card" and style in ("spaced", "hyphen") and len(number) in (16, 19):
        sep = " " if style == "spaced" else "-"
        return sep.join(number[i : i + 4] for i in range(0, len(number), 4))
    if kind == "card" and style in ("spaced", "hyphen") and len(number) == 15:
        sep = " " if style == "spaced" else "-"
        return sep.join((number[:4], number[4:10], number[10:]))
    if kind == "id" and style in ("spaced", "hyphen"):
        sep = " " if style == "spaced" else "-"
        return sep.join((number[:6], number[6:14], number[14:]))
    if kind == "phone" and style in ("spaced", "hyphen"):
        sep = " " if style == "spaced" else "-"
        return rng.choice(["", "+86 ", "0086"]) + sep.join((number[:3], number[3:7], number[7:]))
    if style == "wide":
        return full_width(number)
    return number


@dataclass(frozen=True)
class Planted:
    kind: str
    digits: str
    written: str


TEMPLATES = {
    "account_frozen": (
        "我的卡{card}被冻结了，身份证是{id}，帮我查一下",
        "账户冻结了，卡号{card}，回电{phone}",
        "My card {card} is frozen, call me back on {phone}",
    ),
    "card_lost_stolen": (
        "卡丢了，卡号是{card}，请马上挂失",
        "钱包被偷了，身份证{id}和卡{card}都在里面",
        "I lost my card {card}, my email is {email}",
    ),
    "transfer_not_arrived": (
        "转账到{card}三天没到账",
        "给{phone}的转账还没到，我的身份证号{id}",
        "my transfer from card {card} never arrived",
    ),
    "password_reset": (
        "忘记密码了，身份证号码{id}，手机{phone}",
        "密码锁了，预留手机是{phone}",
        "I forgot my PIN for card {card}",
    ),
    "out_of_scope": (
        "帮我订一张去北京的机票，身份证{id}",
        "推荐个餐厅，电话{phone}",
        "what's the weather, text me at {phone}",
    ),
}


def plant(rng: random.Random, template: str, planted: list[Planted]) -> str:
    values: dict[str, str] = {}
    for kind, make in (("card", card_number), ("id", resident_id), ("phone", mobile_number)):
        if "{" + kind + "}" in template:
            digits = make(rng)
            shown = written(kind, digits, rng)
            planted.append(Planted(kind, digits, shown))
            values[kind] = shown
    if "{email}" in template:
        address = f"zhang.{rng.randrange(10**6)}@example.com"
        planted.append(Planted("email", address, address))
        values["email"] = address
    return template.format(**values)


def history(rng: random.Random, lines: int) -> tuple[list[dict[str, str]], list[Planted]]:
    planted: list[Planted] = []
    rows = []
    labels = [label for label in TEMPLATES if label != "out_of_scope"]
    for i in range(lines):
        label = labels[i % len(labels)]
        template = rng.choice(TEMPLATES[label])
        rows.append({"text": plant(rng, template, planted), "intent": label})
    return rows, planted


def oos_eval(rng: random.Random, planted: list[Planted]) -> list[dict[str, str]]:
    return [
        {"text": plant(rng, rng.choice(TEMPLATES["out_of_scope"]), planted), "scenario": "out_of_scope"}
        for _ in range(12)
    ]


_DIGIT_GAP = re.compile(r"(?<=[0-9X])[\s\-–—_.]+(?=[0-9X+])")


def leaks(text: str, planted: list[Planted]) -> list[Planted]:
    """Planted items found in ``text`` in any width, spacing or hyphenation."""
    folded = _DIGIT_GAP.sub("", unicodedata.normalize("NFKC", text)).replace("+86", "").upper()
    return [p for p in planted if p.digits.upper() in folded or p.written in text]


def written_files(root: Path, inputs: set[Path]) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p not in inputs)


def run(args: list[str], output: Path | None = None) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    if output is not None:  # what a user redirects to a file: stdout (notes such as a first build go to stderr)
        output.write_text(result.stdout, encoding="utf-8")
    return result.output


def test_the_planted_numbers_are_what_redaction_must_catch() -> None:
    """Guard the generators: every planted number is valid, so a leak is a real leak."""
    from assist.text.redact import contains_pii

    rng = random.Random(1)
    rows, planted = history(rng, 60)
    assert {p.kind for p in planted} == {"card", "id", "phone", "email"}
    for item in planted:
        if item.kind == "card":
            assert luhn_valid(item.digits)
        if item.kind == "id":
            body = item.digits[:17]
            assert id_check(body) == item.digits[17]
        assert contains_pii(item.written), item
    assert all(leaks(row["text"], planted) for row in rows)


@dataclass(frozen=True)
class Imported:
    """A folder holding planted history, the library imported from it and its index."""

    root: Path
    library: Path
    held: Path
    live_eval: Path
    planted: list[Planted]
    inputs: frozenset[Path]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """``assist import`` (with a holdout file), ``validate`` and ``build`` on planted history."""
    root = tmp_path_factory.mktemp("pii")
    rng = random.Random(20240501)
    rows, planted = history(rng, 240)
    source = root / "history.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "intent"])
        writer.writeheader()
        writer.writerows(rows)
    live_eval = root / "live_eval.jsonl"
    eval_rows = [{"text": r["text"], "scenario": r["intent"]} for r in rows[:40]] + oos_eval(rng, planted)
    live_eval.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in eval_rows) + "\n", encoding="utf-8")
    library, held, reports = root / "imported", root / "held_out.jsonl", root / "reports"
    reports.mkdir()
    args = ["import", str(source), "--out", str(library), "--text-col", "text", "--label-col", "intent"]
    run([*args, "--holdout", "0.25", "--holdout-file", str(held), "--seed", "3"], reports / "import.txt")
    assert held.is_file() and (library / "scenarios.yaml").is_file()
    assert len(held.read_text(encoding="utf-8").splitlines()) > 20
    run(["validate", "--library", str(library)], reports / "validate.txt")
    run(["build", "--library", str(library)], reports / "build.txt")
    assert list((library / ".index").glob("build-*/lexical_vocab.json"))
    # The planted data did reach the library (redacted), so a clean search means something.
    examples = "".join(p.read_text(encoding="utf-8") for p in (library / "scripts").glob("*.yaml"))
    assert "[CARD]" in examples and "[ID]" in examples and "[PHONE]" in examples
    return Imported(root, library, held, live_eval, planted, frozenset({source, live_eval}))


GAP_OUTPUT = "gap_outputs"
"""Gap tests write under reports/gap_outputs/<case>/ and search only their own folder,
so one case's (expected) failure does not spill into another's result."""


def assert_no_leak(case: Imported, folder: Path | None = None) -> None:
    """Search every file written under ``folder`` (default: everything but the gap
    tests' outputs), contents and names, the test's own input files excepted."""
    files = [
        path
        for path in written_files(folder or case.root, set(case.inputs))
        if folder is not None or GAP_OUTPUT not in path.parts
    ]
    assert files
    found = {
        str(path.relative_to(case.root)): [
            p.written for p in leaks(path.read_bytes().decode("utf-8", "replace"), case.planted)
        ]
        for path in files
    }
    assert not {name: hits for name, hits in found.items() if hits}
    assert not any(leaks(str(path.relative_to(case.root)), case.planted) for path in files)


@pytest.mark.model
def test_import_build_evaluate_persist_no_planted_pii(imported: Imported) -> None:
    reports, library = imported.root / "reports", str(imported.library)
    for data in (imported.held, imported.live_eval):
        run(["evaluate", str(data), "--json", "--library", library], reports / f"{data.stem}.json")
        run(["evaluate", str(data), "--library", library], reports / f"{data.stem}.txt")
    run(
        ["evaluate", str(imported.live_eval), "--json", "--calibrate", "--library", library], reports / "calibrate.json"
    )
    assert (imported.library / ".index" / "calibration.json").is_file()
    json.loads((reports / "held_out.json").read_text(encoding="utf-8"))
    kinds = {p.suffix for p in written_files(imported.root, set(imported.inputs))}
    assert {".yaml", ".jsonl", ".json", ".npz", ".faiss", ".txt"} <= kinds, kinds
    assert_no_leak(imported)


def gap_lines(imported: Imported, seed: int, label_pii: bool) -> list[Any]:
    """Out-of-scope lines full of personal numbers (the assistant abstains on them);
    with ``label_pii`` their labels carry a phone number too (a free-text label column)."""
    from assist.text.datafiles import Utterance

    rng = random.Random(seed)
    lines = []
    for i in range(60):
        text = plant(rng, rng.choice(TEMPLATES["out_of_scope"]), imported.planted)
        label = plant(rng, "回电{phone}", imported.planted) if label_pii and i % 3 == 0 else "out_of_scope"
        lines.append(Utterance(text, label, i))
    return lines


@pytest.mark.model
@pytest.mark.parametrize("label_pii", [False, True])
def test_gap_report_and_stubs_hold_no_planted_pii(imported: Imported, label_pii: bool) -> None:
    """Gap discovery (assist/gaps.py) and the coverage report (assist/report.py) on
    lines the library cannot answer: cluster terms, representatives, draft stubs,
    report.md, charts and the JSON view stay clean."""
    gaps = pytest.importorskip("assist.batch.gaps", reason="assist/gaps.py is not in this checkout")
    from assist.batch.evaluate import evaluate
    from assist.lookup.assistant import Assistant

    assistant = Assistant.load(imported.library, log=lambda _: None)
    lines = gap_lines(imported, 11 + label_pii, label_pii)
    collector = gaps.GapCollector(assistant)
    summary = evaluate(assistant, lines, on_batch=collector.add_batch).summary()
    report = collector.report(max_clusters=5)
    assert report.gap_utterances > 20 and report.clusters
    out = imported.root / "reports" / GAP_OUTPUT / f"labels_with_pii_{label_pii}"
    assert all(path.is_file() for path in gaps.emit_stubs(report, out / "gap_stubs.yaml"))
    from assist.batch.report import gaps_to_dict
    from assist.batch.report_files import write_report

    written = write_report(summary, report, out / "report")
    assert {"report.md", "report.html"} <= {path.name for path in written}
    (out / "gaps.json").write_text(json.dumps(gaps_to_dict(report), ensure_ascii=False), encoding="utf-8")
    assert_no_leak(imported, out)


def test_labels_holding_personal_data_are_not_written_out(tmp_path: Path) -> None:
    """A label column that holds free text (e.g. the wrong --label-col) must not put
    numbers into scenario ids, file names or scenarios.yaml."""
    rng = random.Random(7)
    numbers = [mobile_number(rng) for _ in range(3)] + [card_number(rng)]
    shown = [numbers[0], f"{numbers[1][:3]} {numbers[1][3:7]} {numbers[1][7:]}", f"+86-{numbers[2]}", numbers[3]]
    planted = [Planted("phone" if len(n) == 11 else "card", n, w) for n, w in zip(numbers, shown, strict=True)]
    rows = [{"text": f"卡被冻结了{i}", "note": f"请回电{w}"} for i, w in enumerate(shown)]
    source = tmp_path / "history.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(source), "--out", str(tmp_path / "lib"), "--label-col", "note"])
    assert "Traceback" not in result.output
    files = written_files(tmp_path, {source})
    leaked = [
        str(p.relative_to(tmp_path))
        for p in files
        if leaks(str(p.relative_to(tmp_path)) + p.read_text(encoding="utf-8", errors="replace"), planted)
    ]
    assert not leaked


# ----- every shape of the one redaction spec, in every batch output ---------------

SHAPES = {
    "card failing Luhn": "6222 0212 3456 7891",
    "account in Chinese numerals": "六二一七零零零零一二三四五六七八九",
    "account with dashes": "1234-5678-9012-345",
    "ID with a wrong check digit": "110105199003071239",
    "mobile with +86 and spaces": "+86 139 8765 4321",
    "e-mail": "li.lei@example.com",
    "name with 先生": "诸葛亮先生",
    "name with Ms": "Ms Hanmeimei",
}
SHAPE_LEAKS = ("6222 0212 3456 7891", "六二一七零零零零一二三四五六七八九", "1234-5678-9012-345",
               "110105199003071239", "139 8765 4321", "li.lei@example.com", "诸葛亮", "Hanmeimei")


def test_every_shape_is_redacted_in_reports_stubs_and_predictions(tmp_path: Path) -> None:
    from assist.batch.gaps import emit_stubs
    from assist.batch.predictions import StagedOutputs
    from assist.batch.report_files import write_report
    from assist.batch.runner import run_local
    from assist.lookup.assistant import Assistant
    from assist.text.datafiles import UtteranceReader
    from tests.conftest import HashEncoder, write_library

    library = write_library(tmp_path / "lib")
    lines = []
    for round_ in range(4):
        for kind, value in SHAPES.items():
            lines.append({"id": f"{kind}-{round_}", "text": f"我的卡又出问题了第{round_}次，{value}，请尽快回电",
                          "scenario": "account_frozen" if round_ % 2 else f"label {value}"})
    data = tmp_path / "calls.jsonl"
    data.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    assistant = Assistant.load(library=library, encoder=HashEncoder(), threshold=0.99, log=lambda _: None)
    outputs = StagedOutputs()
    out = tmp_path / "out"
    result = run_local(assistant, UtteranceReader(data, id_field="id"), predictions=out / "predictions.jsonl",
                       outputs=outputs)
    write_report(result.summary, result.gaps, outputs.folder(out))
    run_local(assistant, UtteranceReader(data, id_field="id"), gaps=False, predictions=out / "predictions.csv",
              outputs=outputs)
    outputs.commit()
    assert result.gaps is not None and result.gaps.clusters
    emit_stubs(result.gaps, out / "stubs.yaml")
    names = {p.name for p in out.iterdir()}
    assert {"report.md", "report.html", "predictions.jsonl", "predictions.csv", "stubs.yaml"} <= names
    for path in out.iterdir():
        if path.suffix == ".png":
            continue
        text = path.read_text(encoding="utf-8")
        for leak in SHAPE_LEAKS:
            assert leak not in text, f"{leak!r} in {path.name}"
    predictions = (out / "predictions.jsonl").read_text(encoding="utf-8")
    for placeholder in ("[CARD]", "[ACCOUNT]", "[ID]", "[PHONE]", "[EMAIL]", "[NAME]"):
        assert placeholder in predictions
