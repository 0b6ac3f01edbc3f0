"""The built wheel works anywhere: installed into a fresh virtual environment, offline, and run
from another folder, it finds its library, rules and console, keeps its index in the cache
folder, writes nothing into the installation, and never needs torch.

The venv is made with ``--system-site-packages`` and the wheel installed with
``pip install --no-deps --no-index``: the dependencies come from the environment this test
runs in (already installed by ``make setup``), so nothing is fetched. A wheelhouse built with
``pip wheel`` would need every dependency's sdist or wheel, which an offline machine does not
have. A ``.pth`` file in the venv blocks torch, sentence-transformers and transformers, so
every command here runs as on a base install without the ``st`` extra.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from assist.encoders.usem.loader import cache_folder

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("setup.py", "pyproject.toml", "README.md", "assist", "scripts_library")
NO_TORCH = 'import sys; sys.modules.update({"torch": None, "sentence_transformers": None, "transformers": None})\n'
HEAVY = {"torch", "sentence-transformers", "transformers"}


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".index", "*.egg-info")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                 "-w", str(root / "dist"), str(source)], root, env)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((root / "dist").glob("assist-*.whl"))
    venv = root / "venv"
    made = run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], root, env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    root, env).stdout.strip())
    (site / "00_assist_test_no_torch.pth").write_text(NO_TORCH, encoding="utf-8")
    install = run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], root, env)
    assert install.returncode == 0, install.stderr[-3000:]
    cache = root / "cache"
    cache.mkdir()
    # The USE weights, the quick pass's table and the trained compliance and scam signals (keyed
    # by content, so the wheel's library finds the checkout's) are machine caches, minutes to
    # remake; the index is what this test builds fresh.
    for made_cache in cache_folder().parent.glob(f"{cache_folder().name}*"):
        (cache / made_cache.name).symlink_to(made_cache)
    for signal in ("semantic", "scam_signal"):
        if (cache_folder().parent / signal).is_dir():
            (cache / signal).symlink_to(cache_folder().parent / signal)
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    yield {"root": root, "wheel": wheel, "venv": venv, "python": python, "site": site,
           "cache": cache, "cwd": elsewhere}


def venv_env(paths: dict[str, Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"ASSIST_INDEX_DIR", "PYTHONPATH"}}
    env.update({"ASSIST_CACHE_DIR": str(paths["cache"]), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "PATH": f"{paths['venv'] / 'bin'}{os.pathsep}{env.get('PATH', '')}"})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_wheel_carries_library_rules_and_console(installed: dict[str, Path]) -> None:
    package = installed["site"] / "assist"
    assert (package / "_library" / "scenarios.yaml").is_file()
    assert len(list((package / "_library" / "scripts").glob("*.yaml"))) >= 10
    assert len(list((package / "_library" / "rules").glob("*.yaml"))) >= 2
    # the labelled texts that train the compliance and scam signals and join the examples: a
    # checkout and an installed package must train the same signals
    for folder in ("rules/drafts", "rules/scam_texts", "examples"):
        shipped = {p.name for p in (REPO / "scripts_library" / folder).glob("*.jsonl")}
        assert shipped and {p.name for p in (package / "_library" / folder).glob("*.jsonl")} == shipped, folder
    assert (package / "server" / "static" / "index.html").is_file()
    requires = metadata.Distribution.at(next(installed["site"].glob("assist-*.dist-info"))).requires or []
    base = [r for r in requires if "extra ==" not in r]
    assert not [r for r in base if re.split(r"[<>=!;\[ ]", r)[0].lower() in HEAVY], base


def test_installed_wheel_runs_from_another_folder_without_torch(installed: dict[str, Path]) -> None:
    env, cwd, site = venv_env(installed), installed["cwd"], installed["site"]
    before = snapshot(site / "assist")
    probe = run([str(installed["python"]), "-c",
                 "import assist, sys; print(assist.__file__); "
                 "import importlib.util as u; print(u.find_spec('torch') is None)"], cwd, env)
    assert probe.returncode != 0 or probe.stdout.splitlines()[0].startswith(str(site)), probe.stdout

    suggested = run(["assist", "suggest", "我的卡丢了", "--json"], cwd, env)
    assert suggested.returncode == 0, suggested.stderr[-3000:]
    body = json.loads(suggested.stdout)
    assert body["candidates"][0]["scenario"] == "card_lost_stolen"
    assert (installed["cache"] / "index" / "manifest.json").is_file(), "the index belongs in the cache folder"

    checked = run(["assist", "check", "您把验证码报给我就行"], cwd, env, timeout=900)  # trains the signal if not cached
    assert checked.returncode == 1, checked.stdout + checked.stderr

    code = ("import sys\nfrom assist import Assistant\n"
            "s = Assistant.load().suggest('我的卡丢了')\n"
            "assert sys.modules.get('torch') is None and sys.modules.get('sentence_transformers') is None\n"
            "print(s.candidates[0].scenario, __import__('assist').__file__)\n")
    api = run([str(installed["python"]), "-c", code], cwd, env)
    assert api.returncode == 0, api.stderr[-3000:]
    scenario, module = api.stdout.split()
    assert scenario == "card_lost_stolen" and module.startswith(str(site)), api.stdout

    port = free_port()
    server = subprocess.Popen(["assist", "serve", "--port", str(port), "--workers", "1"], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        health = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as response:
                    health = json.loads(response.read())
                    break
            except OSError:
                time.sleep(0.3)
        assert health is not None, server.stderr.read() if server.poll() is not None else "no answer"
        assert health["status"] == "ok" and health["scripts"] > 0
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert snapshot(site / "assist") == before, "the installed package was written to"


def test_a_sentence_transformers_model_without_the_extra_says_how_to_install_it(
    installed: dict[str, Path],
) -> None:
    model = installed["root"] / "some-st-model"
    model.mkdir(exist_ok=True)
    (model / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "",
                                                     "type": "sentence_transformers.models.Transformer"}]))
    result = run(["assist", "suggest", "我的卡丢了", "--model", str(model)], installed["cwd"], venv_env(installed))
    assert result.returncode == 7, result.stdout + result.stderr
    assert "pip install 'assist[st]'" in result.stdout + result.stderr


def test_a_library_whose_index_folder_cannot_be_written_names_both_ways_out(tmp_path: Path) -> None:
    from assist.errors import IndexStateError
    from assist.lookup.assistant import Assistant
    from tests.conftest import HashEncoder, write_library

    library = write_library(tmp_path / "lib")
    (library / ".index").write_text("a file where the index folder would go\n")  # unwritable even for root
    with pytest.raises(IndexStateError, match=r"--index DIR.*ASSIST_INDEX_DIR"):
        Assistant.load(library=library, encoder=HashEncoder(), log=lambda _: None)
    index = tmp_path / "elsewhere"
    assert Assistant.load(library=library, encoder=HashEncoder(), index_dir=index, log=lambda _: None)
    assert (index / "manifest.json").is_file()


def base_closure() -> dict[str, metadata.Distribution]:
    """Every distribution a base install (no extras) of assist pulls in, as installed here."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    environment = {**default_environment(), "extra": ""}
    seen: dict[str, metadata.Distribution] = {}
    stack = [r for r in metadata.distribution("assist").requires or [] if "extra ==" not in r]
    while stack:
        requirement = Requirement(stack.pop())
        name = requirement.name.lower().replace("_", "-")
        if name in seen or (requirement.marker and not requirement.marker.evaluate(environment)):
            continue
        seen[name] = metadata.distribution(requirement.name)
        stack += seen[name].requires or []
    return seen


def installed_bytes(distribution: metadata.Distribution) -> int:
    return sum(path.stat().st_size for f in distribution.files or []
               if (path := Path(str(distribution.locate_file(f)))).is_file())


def test_the_base_install_pulls_no_torch() -> None:
    closure = base_closure()
    assert not HEAVY & set(closure), sorted(HEAVY & set(closure))
    size = sum(installed_bytes(d) for d in closure.values())
    print(f"base install: {len(closure)} distributions, {size / 2**20:.0f} MiB installed")
    assert size < 1024 * 2**20


def test_index_folder_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assist.library.loader import SHIPPED_LIBRARY, shipped_index_dir
    from assist.lookup.assistant import default_index_dir

    monkeypatch.delenv("ASSIST_INDEX_DIR", raising=False)
    assert shipped_index_dir() == REPO / "index", "a source checkout keeps index/"
    assert default_index_dir(SHIPPED_LIBRARY) == REPO / "index"
    assert default_index_dir(tmp_path / "lib") == tmp_path / "lib" / ".index"
    monkeypatch.setenv("ASSIST_INDEX_DIR", str(tmp_path / "idx"))
    assert default_index_dir(SHIPPED_LIBRARY) == default_index_dir(tmp_path / "lib") == tmp_path / "idx"
