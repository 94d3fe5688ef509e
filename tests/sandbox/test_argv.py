"""Build env never appears on the bwrap command line (argv is world-readable in /proc)."""

from __future__ import annotations

from pathlib import Path

from builder.sandbox import BwrapExecutor, HostTrust


def test_env_goes_through_the_environment_not_argv(tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "usr").mkdir(parents=True)
    (rootfs / "bin").symlink_to("usr/bin")
    executor = BwrapExecutor(rootfs, tmp_path / "ws", trust=HostTrust())
    argv = executor.command()
    env = executor.environment({"NPM_TOKEN": "npm_s3cret"})
    assert not any("npm_s3cret" in a for a in argv)
    assert "--setenv" not in argv
    assert env["NPM_TOKEN"] == "npm_s3cret" and env["HOME"] == "/home/app" and env["PATH"].startswith("/usr")
    assert ["--symlink", "usr/bin", "/bin"] == argv[argv.index("--symlink"):argv.index("--symlink") + 3]
