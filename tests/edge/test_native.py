"""Native libraries' chatter on file descriptor 2 is dropped line by line; everything else still gets through."""
from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os, sys
from digits.edge.native import native_stderr_without
with native_stderr_without(("INFO: Created", "libpng warning: iCCP:")):
    os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
    os.write(2, b"a real problem\\n")
    os.write(2, b"libpng warning: iCCP: known incorrect sRGB profile\\n")
sys.stderr.write("after\\n")
"""


def test_only_the_named_lines_are_dropped():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert result.stderr == "a real problem\nafter\n"


def test_the_runner_prints_no_native_chatter(repo_root):
    run_cli = "from digits.edge.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", run_cli, "--dir", str(repo_root / "TestSet" / "Luis")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_reader_closing_the_pipe_ends_every_mode_quietly(repo_root):
    for mode in (["--dir", str(repo_root / "TestSet" / "Luis")],
                 ["--dir", str(repo_root / "TestSet" / "ids"), "--multi"]):
        process = subprocess.Popen([sys.executable, "-c", "from digits.edge.cli import console_main; console_main()",
                                    *mode, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   bufsize=1)
        assert process.stdout.readline().startswith("{")
        process.stdout.close()  # as `| head -1` does
        stderr = process.stderr.read()
        process.wait(timeout=60)
        assert stderr == "", mode


def test_captured_native_lines_are_handed_back_not_printed():
    script = ("import os, sys\nfrom digits.edge.native import native_stderr_captured\n"
              "with native_stderr_captured() as lines:\n    os.write(2, b'Invalid MIT-MAGIC-COOKIE-1 key\\n')\n"
              "print(lines)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout == "['Invalid MIT-MAGIC-COOKIE-1 key\\n']\n" and result.stderr == ""
