"""Install the course's requirements into a virtual environment: one recipe for `make` and the version matrix.

    .venv/bin/python scripts/install_env.py          # requirements.txt and the editable utils package
    .venv/bin/python scripts/install_env.py --dev    # the same, plus requirements-dev.txt (tests, nbgrader)

Run it with the environment's own interpreter. On a free-threaded build (3.13t, 3.14t) pip is told to prefer
wheels (the newest numpy, matplotlib, pillow and pyzmq have no cp313t wheels, and building matplotlib from source
downloads freetype) and to respect constraints-free-threaded.txt (cffi 2 refuses 3.13t).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


#: ``python -m pip install`` for this interpreter, quietly.
PIP_INSTALL = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]


def pip_command(dev: bool) -> list[str]:
    """The pip command line for this interpreter."""
    command = [*PIP_INSTALL, "-r", str(ROOT / "requirements.txt")]
    if dev:
        command += ["-r", str(ROOT / "requirements-dev.txt")]
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        command += ["--prefer-binary", "-c", str(ROOT / "constraints-free-threaded.txt")]
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", action="store_true", help="also install requirements-dev.txt")
    args = parser.parse_args(argv)
    if sys.prefix == sys.base_prefix:
        parser.error(f"{sys.executable} is not a virtual environment's interpreter")
    subprocess.run(pip_command(args.dev), check=True)
    subprocess.run([*PIP_INSTALL, "--no-deps", "-e", str(ROOT)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
