#!/usr/bin/env python3
"""The README's Python examples are tests: its local ```sh commands run first (as
tests/readme.rs runs them: `bash`, `cargo`, `npm` lines and URL commands left out), in a
temporary directory where `data/` is the bundled data, then every ```python block runs there
in order, with numpy and GenVarLoader 0.43.1 (what `pip install genvarloader` gives), and
must not raise.

usage: target/gvl2-venv/bin/python tests/python/test_readme.py [BIGWIG_NPY]
(`scripts/gvl-venv.sh 0.43.1` makes the virtualenv).
"""
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "target" / "release" / "bigwig-npy"
SETUP = ("bash", "cargo", "npm")


def blocks(text):
    out, lang, start, lines = [], None, 0, []
    for i, line in enumerate(text.splitlines(), 1):
        if lang is None and line.startswith("```"):
            lang, start, lines = line[3:].strip(), i, []
        elif lang is not None and line == "```":
            out.append((lang, start, lines))
            lang = None
        elif lang is not None:
            lines.append(line)
    return out


def main():
    readme = blocks((ROOT / "README.md").read_text())
    env = {**os.environ, "PATH": f"{BIN.parent}:{os.environ['PATH']}"}
    ran = 0
    with tempfile.TemporaryDirectory(prefix="bwnpy-readme-") as tmp:
        os.symlink(ROOT / "data", Path(tmp) / "data")
        for lang, start, lines in readme:
            if lang != "sh":
                continue
            for line in lines:
                if not line.strip() or line.startswith("# ") or line.split()[0] in SETUP or "http://" in line:
                    continue
                p = subprocess.run(["bash", "-c", f"set -euo pipefail\n{line}"], cwd=tmp, env=env,
                                   capture_output=True, text=True)
                assert p.returncode == 0, f"README.md block at line {start}: {line}\n{p.stderr}"
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            for lang, start, lines in readme:
                if lang != "python":
                    continue
                with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                    warnings.simplefilter("ignore")
                    try:
                        exec(compile("\n".join(lines), f"README.md:{start}", "exec"), {})
                    except Exception as e:
                        raise AssertionError(f"README.md python block at line {start} failed: {e!r}") from e
                print(f"ok: README.md python block at line {start}")
                ran += 1
        finally:
            os.chdir(cwd)
    assert ran >= 2, f"only {ran} python blocks ran"
    print(f"{ran} README python blocks ran")


if __name__ == "__main__":
    try:
        from loguru import logger
        logger.remove()
    except ImportError:
        pass
    main()
