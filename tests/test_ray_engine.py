"""The Ray engine gives the local engine's figures on the same input (a local Ray, 2 CPUs)."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assist.batch.predictions import StagedOutputs
from assist.batch.runner import run_local
from assist.cli import app
from assist.errors import UnavailableError
from assist.lookup.assistant import Assistant
from assist.text.datafiles import UtteranceReader
from tests.conftest import HashEncoder

ray = pytest.importorskip("ray")

TEXTS = ["我的卡被冻结了，钱取不出来", "账户被限制交易了怎么办", "我的银行卡丢了，快帮我挂失", "钱包被偷了，卡也在里面",
         "办房贷需要准备什么材料", "二手房贷款流程是怎样的", "有人让我把钱转到安全账户",
         "这个问题我打了好几次电话都没解决",
         "今天天气怎么样", "my account has been frozen and I cannot pay", "数字人民币钱包怎么开通", "ETC扣费不对"]
LABELS = ["account_frozen", "account_frozen", "card_lost_stolen", "card_lost_stolen", "mortgage_process",
          "mortgage_process", "fraud_in_progress", "repeated_unresolved", "out_of_scope", "account_frozen",
          "数字人民币", "out_of_scope"]
TAILS = ["", "，谢谢", " please", "！！", "，第{}次", "，单号{}"]


@contextmanager
def start_local_ray() -> Iterator[None]:
    """A local Ray on 2 CPUs; workers import tests.conftest (the pickled test encoder) from here."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}})
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    with start_local_ray():
        yield


def write_input(path: Path, lines: int) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(lines):
            text = TEXTS[i % len(TEXTS)] + TAILS[(i // len(TEXTS)) % len(TAILS)].format(i)
            record = {"call": f"c{i}", "text": text, "scenario": LABELS[i % len(LABELS)]}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.write("{not json\n")


def test_ray_equals_local(local_ray: None, library_dir: Path, tmp_path: Path) -> None:
    from assist.batch.ray_engine import run_ray

    data = tmp_path / "calls.jsonl"
    write_input(data, 5000)
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=0.3, log=lambda _: None)
    outputs = StagedOutputs()
    local = run_local(assistant, UtteranceReader(data, id_field="call", on_error="skip"),
                      predictions=tmp_path / "local.jsonl", outputs=outputs)
    # Given as a loader, as the CLI does: it loads on a thread while Ray is joined.
    distributed = run_ray(lambda: assistant, str(data), id_field="call", on_error="skip", actors=2,
                          predictions=tmp_path / "ray.jsonl", outputs=outputs)
    outputs.commit()
    assert distributed.summary == local.summary
    assert distributed.summary["skipped_lines"]["lines"] == [5001]
    assert local.gaps is not None and distributed.gaps == local.gaps
    assert (tmp_path / "ray.jsonl").read_text(encoding="utf-8") == (tmp_path / "local.jsonl").read_text(
        encoding="utf-8")


def test_a_ray_the_run_started_stops_before_it_returns_and_a_joined_one_stays(
        local_ray: None, library_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopping a local Ray takes seconds: the run that started it stops it beside the gap sample's
    embedding, not at the process's exit; a Ray the caller had joined is left running."""
    import assist.batch.ray_engine as engine

    data = tmp_path / "calls.jsonl"
    write_input(data, 50)
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=0.3, log=lambda _: None)
    stopped: list[bool] = []
    monkeypatch.setattr(ray, "shutdown", lambda: stopped.append(True))
    engine.run_ray(assistant, str(data), id_field="call", on_error="skip", actors=1)
    assert stopped == []
    answers = iter([False])  # run_ray's own question: as if connect() then started it
    monkeypatch.setattr(ray, "is_initialized", lambda: next(answers, True))
    monkeypatch.setattr(engine, "connect", lambda address: ray)
    engine.run_ray(assistant, str(data), id_field="call", on_error="skip", actors=1)
    assert stopped == [True]


def test_a_url_is_read_by_ray_data_while_the_actors_hold_every_cpu(local_ray: None, library_dir: Path,
                                                                    tmp_path: Path) -> None:
    """The read tasks ask for no CPU: with one actor per CPU, a read waiting for one never started."""
    from assist.batch.ray_engine import run_ray

    data = tmp_path / "calls.jsonl"
    write_input(data, 300)
    data.write_text("".join(data.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=0.3, log=lambda _: None)
    local = run_local(assistant, UtteranceReader(data, id_field="call"), gaps=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        distributed = run_ray(assistant, data.as_uri(), id_field="call", actors=2, gaps=False)
    assert distributed.report.summary() == local.report.summary()
    assert not [w for w in caught if "ray_remote_args" in str(w.message)]  # removed in Ray 2.64


def test_read_tasks_name_their_cpus_as_the_reader_takes_them() -> None:
    from assist.batch.ray_engine import READ_CPUS, read_tasks

    def recent(paths: str, *, num_cpus: float | None = None, ray_remote_args: dict[str, float] | None = None) -> None:
        """A read function of Ray 2.60."""

    def older(paths: str, *, ray_remote_args: dict[str, float] | None = None) -> None:
        """A read function without the named resources."""

    assert read_tasks(recent) == {"num_cpus": READ_CPUS} and READ_CPUS == 0
    assert read_tasks(older) == {"ray_remote_args": {"num_cpus": READ_CPUS}}
    assert read_tasks(ray.data.read_json) == read_tasks(ray.data.read_csv) == read_tasks(ray.data.read_parquet)


def test_a_library_an_actor_cannot_load_is_the_libraries_error(local_ray: None, library_dir: Path,
                                                                tmp_path: Path) -> None:
    """Changed on the cluster's side after the driver loaded it: the actor's LibraryError reaches
    the caller as itself (the CLI's exit 4 and one line), not as Ray's actor-death traceback."""
    from assist.batch.ray_engine import run_ray
    from assist.errors import LibraryError

    data = tmp_path / "calls.jsonl"
    write_input(data, 50)
    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), threshold=0.3, log=lambda _: None)
    (library_dir / "scripts" / "main.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(LibraryError, match=r"main\.yaml:2: YAML syntax error"):
        run_ray(assistant, str(data), id_field="call", on_error="skip", actors=1, gaps=False)


def test_an_actor_loads_the_drivers_thresholds_per_language(library_dir: Path) -> None:
    from assist.batch.ray_engine import load_from_recipe, recipe_of

    assistant = Assistant.load(library=library_dir, encoder=HashEncoder(), log=lambda _: None)
    assistant.thresholds, assistant.margins = {"zh": 0.7}, {"en": 0.05}
    actor = load_from_recipe(recipe_of(assistant))
    assert (actor.threshold, actor.thresholds, actor.margins) == (assistant.threshold, {"zh": 0.7}, {"en": 0.05})


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def no_ray_yet(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Ray seen as not started in this process (whatever the module's fixture did); the
    addresses ``ray.init`` would have been called with are recorded, and it fails."""
    called: list[str | None] = []

    def init(address: str | None = None, **_: object) -> None:
        called.append(address)
        raise ConnectionError("Could not find any running Ray instance. Please specify the one to connect to.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", init)
    return called


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_a_closed_port_is_unavailable_at_once(no_ray_yet: list[str | None], scheme: str) -> None:
    from assist.batch.ray_cluster import connect

    address = f"{scheme}127.0.0.1:{closed_port()}"
    started = time.monotonic()
    with pytest.raises(UnavailableError) as raised:
        connect(address)
    assert time.monotonic() - started < 5
    assert no_ray_yet == []  # refused by the port check, before ray.init's minutes of retries
    message = str(raised.value)
    assert address in message and "connection refused" in message
    assert "ray start --head" in message and "leave out --address" in message
    assert raised.value.exit_code == 6


def test_an_unknown_host_is_unavailable(no_ray_yet: list[str | None]) -> None:
    from assist.batch.ray_cluster import connect

    with pytest.raises(UnavailableError, match=r"cluster at nohost\.invalid:6379: the host name nohost\.invalid "
                       r"does not resolve"):
        connect("nohost.invalid:6379")
    assert no_ray_yet == []


def test_a_failing_ray_init_is_one_clear_error(no_ray_yet: list[str | None]) -> None:
    from assist.batch.ray_cluster import connect

    with pytest.raises(UnavailableError) as raised:
        connect("auto")
    assert no_ray_yet == ["auto"]
    message = str(raised.value)
    assert message.startswith("cannot reach the Ray cluster at auto: Could not find any running Ray instance.")
    assert "check --address" in message and "leave out --address" in message


def test_a_local_ray_that_does_not_start_says_so(no_ray_yet: list[str | None],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from assist.batch.ray_cluster import WORKER_NICENESS, connect

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delenv(WORKER_NICENESS, raising=False)
    with pytest.raises(UnavailableError, match=r"could not start a local Ray on this machine: .*ray stop"):
        connect(None)
    assert no_ray_yet == [None]
    # The local Ray's actors run at this process's priority (Ray's default puts them 15 steps nicer).
    assert os.environ[WORKER_NICENESS] == "0"
    monkeypatch.setenv(WORKER_NICENESS, "7")
    with pytest.raises(UnavailableError):
        connect(None)
    assert os.environ[WORKER_NICENESS] == "7"


SECRET = "我的卡号是6222020200112233445，卡被冻结了"


@pytest.mark.parametrize("command", ["evaluate", "inspect"])
def test_cli_bad_address_exits_6_with_the_fix(command: str, no_ray_yet: list[str | None], library_dir: Path,
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assist.cli.batch as cli_batch

    monkeypatch.setattr(cli_batch, "load_assistant", lambda *_, **__: Assistant.load(
        library=library_dir, encoder=HashEncoder(), log=lambda _: None))
    data = tmp_path / "in.jsonl"
    row = {"call_id": "c1", "turn": 1, "speaker": "customer", "text": SECRET, "scenario": "account_frozen"}
    data.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    address = f"127.0.0.1:{closed_port()}"
    started = time.monotonic()
    result = CliRunner().invoke(app, [command, str(data), "--engine", "ray", "--address", address])
    assert time.monotonic() - started < 20
    assert result.exit_code == 6, result.output
    assert f"cannot reach the Ray cluster at {address}" in result.output
    assert "ray start --head" in result.output and "Traceback" not in result.output
    assert "6222020200112233445" not in result.output and "冻结" not in result.output


def test_beside_returns_the_work_and_reports_the_main_error_first() -> None:
    from assist.batch.ray_engine import beside

    assert beside(lambda: 42, lambda: None) == 42

    def fail(message: str) -> None:
        raise UnavailableError(message)

    with pytest.raises(UnavailableError, match="main"):
        beside(lambda: fail("work"), lambda: fail("main"))
    with pytest.raises(UnavailableError, match="work"):
        beside(lambda: fail("work"), lambda: None)


ROWS = [{"id": f"c{i}", "line": i + 1, "text": text, "label": "account_frozen", "answered": "out_of_scope",
         "top": "account_frozen", "score": 0.4321, "abstained": True, "pinned": False,
         "top3": ["account_frozen", "card_lost_stolen"]}
        for i, text in enumerate(["我的卡被冻结了", 'a "quoted", comma', "two\nlines", "尾号****"])]


@pytest.mark.parametrize("name", ["p.jsonl", "p.csv"])
def test_rows_rendered_on_an_actor_are_the_writers_own_bytes(tmp_path: Path, name: str) -> None:
    from assist.batch.predictions import PredictionWriter, render_rows

    outputs = StagedOutputs()
    by_row, rendered = PredictionWriter(tmp_path / name, outputs), PredictionWriter(tmp_path / f"r{name}", outputs)
    for row in ROWS:
        by_row.write_row(row)
    rendered.write_rendered(render_rows(ROWS[:1], rendered.csv), 1)
    rendered.write_rendered(render_rows(ROWS[1:], rendered.csv), len(ROWS) - 1)
    by_row.close()
    rendered.close()
    outputs.commit()
    assert (tmp_path / f"r{name}").read_bytes() == (tmp_path / name).read_bytes()
    assert rendered.rows == by_row.rows == len(ROWS)


def test_pieces_arriving_in_any_order_are_written_in_input_order_as_soon_as_they_can(tmp_path: Path) -> None:
    from assist.batch.predictions import PredictionWriter
    from assist.batch.ray_engine import InputOrder

    outputs = StagedOutputs()
    writer = PredictionWriter(tmp_path / "p.jsonl", outputs)
    ordered = InputOrder(writer, streamed=True)
    ordered.add([(2, "c\n", 1), (1, "b\n", 1)])
    assert writer.rows == 0  # chunk 0 not yet in
    ordered.add([(0, "a\n", 1)])
    assert writer.rows == 3 and not ordered.waiting
    ordered.add([(4, "e\n", 1)])
    ordered.add([(3, "d\n", 1)])
    ordered.close()
    outputs.commit()
    assert (tmp_path / "p.jsonl").read_text(encoding="utf-8") == "a\nb\nc\nd\ne\n"


def test_rows_of_a_url_are_sorted_by_line_id_and_text_at_the_end(tmp_path: Path) -> None:
    from assist.batch.predictions import PredictionWriter
    from assist.batch.ray_engine import InputOrder

    outputs = StagedOutputs()
    ordered = InputOrder(PredictionWriter(tmp_path / "p.jsonl", outputs), streamed=False)
    ordered.add([((0, "b", "x"), "2\n", 1), ((0, "a", "y"), "1\n", 1)])
    ordered.add([((0, "b", "w"), "1b\n", 1)])
    ordered.close()
    outputs.commit()
    assert (tmp_path / "p.jsonl").read_text(encoding="utf-8") == "1\n1b\n2\n"


@pytest.mark.parametrize(("chunks", "actors"), [(1, 2), (5, 2), (20, 2), (782, 2), (782, 7)])
def test_blocks_hold_every_chunk_once_and_shrink_towards_the_end(chunks: int, actors: int) -> None:
    from assist.batch.ray_engine import CHUNKS_PER_BLOCK, group_sizes

    sizes = group_sizes(chunks, actors)
    assert sum(sizes) == chunks and all(1 <= size <= CHUNKS_PER_BLOCK for size in sizes)
    assert sizes[-1] == 1
    if chunks > 100:
        assert sizes[:10] == [CHUNKS_PER_BLOCK] * 10 and sizes[-2 * actors:] == [1] * 2 * actors


def test_what_ray_prints_while_it_runs_goes_to_stderr_not_before_the_report(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Ray's driver prints the cluster's error messages to whatever ``sys.stdout`` is; inside the
    run they must land on stderr, so ``--json`` on stdout stays one parseable report."""
    from assist.batch.ray_engine import ray_output_to_stderr

    with ray_output_to_stderr():
        print("(raylet) a worker died")
    print("{}")
    out, err = capsys.readouterr()
    assert out == "{}\n"
    assert "a worker died" in err
