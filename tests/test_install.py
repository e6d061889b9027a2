"""procmod as its users get it: the wheel built from this tree, installed into a fresh venv, run from elsewhere.

Nothing here imports the code under test from the tree: the wheel is built from a clean copy of the sources
(an in-tree build would reuse a stale build/ folder), installed with pip into a new venv that sees neither
this venv nor the system's packages (pip resolves the dependencies as a user's would, from the configured
index), and the installed `procmod` command is run as a process from a directory outside the tree.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import sqlite3
import struct
import subprocess
import sys
import termios
import time
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from procmod.storage.migrate import HEAD

ROOT = Path(__file__).resolve().parent.parent
#: What the copy of the sources leaves out: this venv, git, build leftovers, caches.
NOT_SOURCES = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                     ".hypothesis", "*.db", "*.db-wal", "*.db-shm", "snapshot_report.html")
#: The top-level names the repository's folders would have without the package-dir mapping.
FOREIGN_TOP_LEVEL = ("core", "storage", "tui", "demo", "tests", "scripts")

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    outside: Path  # a working directory outside the tree

    @property
    def procmod(self) -> Path:
        return self.venv / "bin" / "procmod"

    @property
    def site_packages(self) -> Path:
        (found,) = (self.venv / "lib").glob("python3*/site-packages")
        return found

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.procmod), *args], cwd=self.outside, env=user_env(self.outside),
                              capture_output=True, text=True, timeout=timeout)


def user_env(home: Path) -> dict[str, str]:
    """A user's environment: no PYTHON* variables pointing into the tree, their own home and XDG folders."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PROCMOD_", "XDG_"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               TERM="xterm-256color")
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("install")
    sources = base / "src"
    shutil.copytree(ROOT, sources, ignore=NOT_SOURCES)
    wheels = base / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels),
                            str(sources)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("procmod-*.whl")
    venv = base / "venv"
    # `sys._base_executable`: a venv made from this venv's python would still be a fresh one, but say so.
    python = getattr(sys, "_base_executable", sys.executable)
    made = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                             cwd=base, env=user_env(base), capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout + install.stderr
    outside = base / "elsewhere"
    outside.mkdir()
    return Installed(wheel=wheel, venv=venv, outside=outside)


def test_the_wheel_holds_one_package_with_its_data_files(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert wheel.read(top_level).decode().split() == ["procmod"]
    assert {n.split("/", 1)[0] for n in names} == {"procmod", f"procmod-{version('procmod')}.dist-info"}
    # Package data the console and the migrations need at run time.
    assert "procmod/tui/app.tcss" in names
    assert "procmod/storage/migrations/script.py.mako" in names
    assert "procmod/storage/migrations/env.py" in names
    for migration in (ROOT / "storage" / "migrations" / "versions").glob("*.py"):
        assert f"procmod/storage/migrations/versions/{migration.name}" in names, migration.name
    for package in ("core", "storage", "tui", "demo", "demo/emulators", "core/drivers", "tui/screens", "tui/widgets"):
        for module in (ROOT / package).glob("*.py"):
            assert f"procmod/{package}/{module.name}" in names, f"{package}/{module.name}"


def test_site_packages_gets_procmod_only(installed: Installed) -> None:
    site = installed.site_packages
    for name in FOREIGN_TOP_LEVEL:
        assert not (site / name).exists(), f"{name}/ in site-packages"
        assert not (site / f"{name}.py").exists(), f"{name}.py in site-packages"
    (record,) = site.glob("procmod-*.dist-info/RECORD")
    files = [line.split(",", 1)[0] for line in record.read_text().splitlines() if line]
    ours = (site / "procmod", record.parent, installed.procmod)
    outside = [f for f in files
               if not any(path == (site / f).resolve() or path in (site / f).resolve().parents
                          for path in (p.resolve() for p in ours))]
    assert outside == []  # every file pip wrote for procmod: the package, its dist-info, the command
    assert not (site / "procmod" / "__init__.py").exists()  # a namespace: nothing of ours to collide with


def test_version_and_help_from_outside_the_tree(installed: Installed) -> None:
    shown = installed.run("--version")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == f"procmod {version('procmod')}"
    helped = installed.run("--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("demo", "db", "worker", "seed", "--open", "--db", "--read-only"):
        assert command in helped.stdout, command


def test_db_upgrade_migrates_a_new_database(installed: Installed) -> None:
    db = installed.outside / "upgraded.db"
    done = installed.run("--db", f"sqlite:///{db}", "db", "upgrade")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Revision before: (empty database)" in done.stdout
    assert f"Revision now:    {HEAD}" in done.stdout
    assert revision(db) == HEAD


def test_the_console_starts_on_a_new_database_and_quits(installed: Installed) -> None:
    """The real command under a pseudo-terminal at 80x24: the modules list of a database it creates, then `q`."""
    db = installed.outside / "console.db"
    screen, code = run_in_terminal([str(installed.procmod), "--db", f"sqlite:///{db}", "--open", "modules"],
                                   cwd=installed.outside, env=user_env(installed.outside),
                                   shown="No rows", keys=b"q")
    assert code == 0, screen[-2000:]
    assert "Processing modules" in screen and "Quit" in screen
    assert "Traceback" not in screen
    assert revision(db) == HEAD  # created and migrated by the console itself


def revision(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def run_in_terminal(command: list[str], *, cwd: Path, env: dict[str, str], shown: str, keys: bytes,
                    timeout: float = 120) -> tuple[str, int]:
    """Run `command` on a pseudo-terminal of 80x24 until its screen shows `shown`, type `keys`, wait for it to
    exit. Returns the text it wrote (escape sequences removed) and its exit code."""
    import pty

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                               start_new_session=True)
    os.close(slave)
    written = b""
    typed = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the process closed the terminal
                    break
                if not chunk:
                    break
                written += chunk
            if not typed and shown in plain(written):
                os.write(master, keys)
                typed = True
            if process.poll() is not None:
                break
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    text = plain(written)
    assert typed, f"the console never showed {shown!r}: {text[-2000:]}"
    return text, code


def plain(written: bytes) -> str:
    text = re.sub(r"\x1b\[[0-9;?<>=]*[A-Za-z~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Z]|\x1b[=>]", " ",
                  written.decode("utf-8", errors="replace"))
    return re.sub(r"[ \r\n]+", " ", text)
