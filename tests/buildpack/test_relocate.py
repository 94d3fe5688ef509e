"""relocate_scripts: console scripts written at a host path get their layer's image path back (no fakes:
a real venv and a real pip install on this machine)."""

from __future__ import annotations

import base64
import csv
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from builder.buildpack.relocate import relocate_scripts


def test_a_pip_installed_script_gets_the_image_path_and_its_record_hash(tmp_path: Path) -> None:
    layer = tmp_path / "host" / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(layer)], check=True)
    wheel = tmp_path / "hello-1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:  # the smallest wheel with a console script (PEP 427)
        zf.writestr("hello/__init__.py", "def main():\n    print('hi')\n")
        zf.writestr("hello-1.dist-info/METADATA", "Metadata-Version: 2.1\nName: hello\nVersion: 1\n")
        zf.writestr("hello-1.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                               "Tag: py3-none-any\n")
        zf.writestr("hello-1.dist-info/entry_points.txt", "[console_scripts]\nhello = hello:main\n")
        zf.writestr("hello-1.dist-info/RECORD", "")
    subprocess.run([str(layer / "bin" / "pip"), "install", "-q", "--no-index", str(wheel)], check=True)
    script = layer / "bin" / "hello"
    assert script.read_text().startswith(f"#!{layer}/bin/python")

    changed = relocate_scripts(layer, "/layers/python/venv")

    assert script in changed
    assert script.read_text().startswith("#!/layers/python/venv/bin/python")
    (record,) = layer.rglob("hello-1.dist-info/RECORD")
    rows = {Path(row[0]).name: row for row in csv.reader(record.open()) if row[0].endswith("bin/hello")}
    digest = base64.urlsafe_b64encode(hashlib.sha256(script.read_bytes()).digest()).rstrip(b"=").decode()
    assert rows["hello"][1:] == [f"sha256={digest}", str(script.stat().st_size)]
    assert record.read_bytes().count(b"\r\n") == len(record.read_bytes().splitlines())  # pip's CRLF kept
    assert relocate_scripts(layer, "/layers/python/venv") == []  # already relocated: nothing to do


def test_scripts_naming_other_paths_and_symlinks_are_left_alone(tmp_path: Path) -> None:
    layer = tmp_path / "venv"
    (layer / "bin").mkdir(parents=True)
    (layer / "bin" / "tool").write_text("#!/usr/bin/python3\nprint(1)\n")
    (layer / "bin" / "python").symlink_to("/usr/bin/python3")
    (layer / "bin" / "lookalike").write_text(f"#!{layer}-other/bin/python\n")
    assert relocate_scripts(layer, "/layers/python/venv") == []
    assert (layer / "bin" / "tool").read_text() == "#!/usr/bin/python3\nprint(1)\n"


def test_a_venv_made_at_a_host_path_has_the_bytes_of_one_made_at_the_image_path(tmp_path: Path) -> None:
    """pyvenv.cfg's `command` and bin/activate* name the venv's path: relocated, only the path differs no more."""
    host = tmp_path / "host" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(host)], check=True)
    assert str(host) in (host / "pyvenv.cfg").read_text() + (host / "bin" / "activate").read_text()

    changed = relocate_scripts(host, "/layers/python/venv")

    assert {host / "pyvenv.cfg", host / "bin" / "activate"} <= set(changed)
    for path in changed:
        text = path.read_text()
        assert str(host) not in text and "/layers/python/venv" in text, path
    assert (host / "bin" / "python").is_symlink()  # not followed, not rewritten


def test_every_whole_occurrence_is_relocated_whatever_follows_it(tmp_path: Path) -> None:
    """Python 3.13's activate has `$(cygpath <venv>)`; fish and csh quote differently."""
    layer = tmp_path / "venv"
    (layer / "bin").mkdir(parents=True)
    (layer / "bin" / "activate").write_text(f"A=$(cygpath {layer})\nB='{layer}'\nC={layer}\nD={layer}-other\n")
    assert relocate_scripts(layer, "/layers/python/venv") == [layer / "bin" / "activate"]
    assert (layer / "bin" / "activate").read_text() == (
        f"A=$(cygpath /layers/python/venv)\nB='/layers/python/venv'\nC=/layers/python/venv\nD={layer}-other\n")
