"""Classifying git's stderr (messages captured from git 2.39 against real servers)."""

from __future__ import annotations

import pytest

from builder.source._gitcmd import Failure, classify


@pytest.mark.parametrize(("stderr", "kind", "line"), [
    ("fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused\n",
     Failure.UNREACHABLE, "Connection refused"),
    ("fatal: unable to access 'https://h/r.git/': Could not resolve host: h\n",
     Failure.UNREACHABLE, "Could not resolve host: h"),
    ("ssh: connect to host h port 22: Connection refused\nfatal: Could not read from remote repository.\n\n"
     "Please make sure you have the correct access rights\nand the repository exists.\n",
     Failure.UNREACHABLE, "ssh: connect to host h port 22: Connection refused"),
    ("fatal: remote error: no such repository: /nope.git\n", Failure.NOT_FOUND,
     "remote error: no such repository: /nope.git"),
    ("fatal: '/tmp/x.git' does not appear to be a git repository\nfatal: Could not read from remote repository.\n",
     Failure.NOT_FOUND, "'/tmp/x.git' does not appear to be a git repository"),
    ("remote: Repository not found.\nfatal: repository 'https://github.com/o/r.git/' not found\n",
     Failure.NOT_FOUND, "Repository not found."),
    ("fatal: could not read Username for 'https://github.com': terminal prompts disabled\n",
     Failure.AUTH, "could not read Username for 'https://github.com': terminal prompts disabled"),
    ("git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.\n",
     Failure.AUTH, "git@github.com: Permission denied (publickey)."),
    ("fatal: unable to access 'https://h/r/': The requested URL returned error: 403\n",
     Failure.AUTH, "The requested URL returned error: 403"),
    ("fatal: couldn't find remote ref refs/heads/nope\n", Failure.REVISION, "couldn't find remote ref refs/heads/nope"),
    ("error: Server does not allow request for unadvertised object abc\n", Failure.REVISION,
     "Server does not allow request for unadvertised object abc"),
    ("Cloning into '/w/vendor/lib'...\nfatal: transport 'file' not allowed\n"
     "fatal: clone of 'file:///srv/lib.git' into submodule path '/w/vendor/lib' failed\n"
     "Failed to clone 'vendor/lib'. Retry scheduled\n", Failure.TRANSPORT, "transport 'file' not allowed"),
    ("warning: something\nfatal: some new failure\n", Failure.OTHER, "some new failure"),
    ("", Failure.OTHER, "git failed with no message"),
])
def test_classify(stderr: str, kind: Failure, line: str) -> None:
    assert classify(stderr) == (kind, line)
