"""Every command and option of the CLI is documented (the sqlite-utils practice).

The test walks the command tree Typer builds and looks for each command's section in
docs/cli.md and for each option flag inside that section. A new command or option fails
it with a message that says exactly what to add.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assist.cli import app

DOCS = Path(__file__).resolve().parents[1] / "docs"
CLI_DOC = DOCS / "cli.md"
README = DOCS.parent / "README.md"
HEADING = re.compile(r"^#{2,4} +`(assist(?: [a-z0-9-]+)*)`\s*$", re.MULTILINE)
runner = CliRunner()


def commands() -> Iterator[tuple[str, typer.core.TyperCommand]]:
    """(command path, command) for every leaf command, groups walked recursively."""
    root = typer.main.get_command(app)

    def walk(path: str, command: object) -> Iterator[tuple[str, object]]:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in sorted(subcommands.items()):
                yield from walk(f"{path} {name}", sub)
        else:
            yield path, command

    yield from walk("assist", root)  # type: ignore[misc]


def option_flags(command: object) -> list[str]:
    """The long flags of a command's options (``--x`` and its ``--no-x``), help excluded."""
    flags = []
    for param in command.params:  # type: ignore[attr-defined]
        if param.param_type_name != "option" or param.name == "help":
            continue
        for flag in (*param.opts, *param.secondary_opts):
            if flag.startswith("--"):
                flags.append(flag)
    return flags


def sections(text: str) -> dict[str, str]:
    """docs/cli.md's sections by the command in their heading (### `assist suggest`)."""
    found = list(HEADING.finditer(text))
    return {
        match.group(1): text[match.end(): found[i + 1].start() if i + 1 < len(found) else len(text)]
        for i, match in enumerate(found)
    }


def mentions(text: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


ALL = list(commands())


def test_the_walk_finds_the_commands() -> None:
    names = {path for path, _ in ALL}
    assert {"assist suggest", "assist check", "assist shell", "assist evaluate", "assist build"} <= names


@pytest.mark.parametrize(("path", "command"), ALL, ids=[path for path, _ in ALL])
def test_every_command_and_option_is_in_docs_cli_md(path: str, command: object) -> None:
    documented = sections(CLI_DOC.read_text(encoding="utf-8"))
    assert path in documented, (
        f"'{path}' is not documented: add a section to docs/cli.md headed\n\n### `{path}`\n\n"
        f"with what it does, an example in a ```bash block, and a table row for each option: "
        f"{', '.join(option_flags(command)) or '(none)'}"
    )
    section = documented[path]
    missing = [flag for flag in option_flags(command) if not mentions(section, flag)]
    assert not missing, (
        f"docs/cli.md, section ### `{path}`: document {', '.join(missing)} "
        "(a table row `| `--flag` | what it does |`; options shared by many commands may be listed "
        "together, e.g. `| `--json`, `--library` | as above |`)"
    )
    assert "```bash" in section and path in section.split("```bash", 1)[1], (
        f"docs/cli.md, section ### `{path}`: add an example (a ```bash block running {path})"
    )


def test_no_section_documents_a_command_that_does_not_exist() -> None:
    existing = {path for path, _ in ALL}
    stale = set(sections(CLI_DOC.read_text(encoding="utf-8"))) - existing
    assert not stale, f"docs/cli.md documents commands that no longer exist: {sorted(stale)}; remove them"


def test_root_options_are_documented() -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    for flag in ("--version", "-h", "--help"):
        assert mentions(text, flag), f"docs/cli.md, Conventions: document {flag}"


@pytest.mark.parametrize("path", [path for path, _ in ALL])
def test_every_command_help_has_an_example(path: str) -> None:
    result = runner.invoke(app, [*path.split()[1:], "-h"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, (
        f"'{path} -h' shows no example: add epilog=\"Example: {path} ...\" to its @app.command(...)"
    )


def test_readme_is_a_short_guide_that_links_the_reference() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text) <= 12_500, f"README.md is {len(text):,} characters; move detail into docs/ (~12,000 at most)"
    for doc in ("docs/cli.md", "docs/architecture.md", "docs/quality.md", "docs/performance.md"):
        assert doc in text, f"README.md: link {doc}"
        assert (DOCS.parent / doc).is_file(), f"{doc} is linked from README.md but does not exist"


def test_readme_exit_codes_match_the_errors() -> None:
    """The exit-code table in the README names every code an AssistError can carry."""
    import assist.errors as errors

    codes = {cls.exit_code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.AssistError)}
    text = README.read_text(encoding="utf-8")
    table = {int(m.group(1)) for m in re.finditer(r"^\| *(\d+) *\|", text, re.MULTILINE)}
    assert codes | {0, 1, 2} <= table, f"README.md's exit-code table lacks {sorted(codes | {0, 1, 2} - table)}"
