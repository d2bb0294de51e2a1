"""What a fresh process loads: the package, the indicators and the command line import only what they use.

Each check runs in a new interpreter and looks at ``sys.modules`` (never at a clock): importing
the moving averages must not bring in pandas or pydantic, the oscillators not pandas, and the
package itself nothing heavy at all. The numba cache directory default (``uptrade/__init__.py``)
is checked the same way: set as documented, and a ``NUMBA_CACHE_DIR`` the user chose wins.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pandas as pd
import pytest

import uptrade
from uptrade import kernel_fingerprint
from uptrade.indicators._osc import bar_values

HEAVY = ("numpy", "numba", "llvmlite", "scipy", "pandas", "pyarrow", "pydantic", "sqlalchemy", "vectorbt", "dask")


def loaded_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """The HEAVY modules a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env or dict(os.environ)
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_package_alone_imports_nothing_heavy() -> None:
    assert loaded_after("import uptrade") == []


def test_moving_averages_import_numba_but_not_pandas_or_pydantic() -> None:
    loaded = loaded_after("from uptrade.indicators.ma import moving_average, MovingAverageStream")
    assert {"numpy", "numba"} <= set(loaded)
    assert not {"pandas", "pyarrow", "pydantic", "sqlalchemy", "vectorbt", "dask"} & set(loaded)


def test_oscillators_import_without_pandas() -> None:
    loaded = loaded_after("import uptrade.indicators.sniper, uptrade.indicators.vzo")
    assert "pydantic" in loaded  # their parameters are checked by the pydantic models
    assert not {"pandas", "pyarrow", "sqlalchemy", "vectorbt", "dask"} & set(loaded)


@pytest.mark.parametrize("argv", [["--help"], ["db", "--help"], ["indicators", "--help"]])
def test_command_line_help_imports_no_library(argv: list[str]) -> None:
    code = (
        "import sys, contextlib, io\n"
        f"sys.argv = ['uptrade', *{argv!r}]\n"
        "from uptrade.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        app()\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
    )
    loaded = loaded_after(code)
    # typer itself imports pydantic to type a sub-group's options; nothing of ours may add more
    assert set(loaded) <= {"pydantic"}, loaded


def test_the_catalogue_and_the_parameter_models_import_no_kernel() -> None:
    loaded = loaded_after("import uptrade.indicators.registry, uptrade.indicators.params")
    assert not {"numba", "llvmlite", "pandas", "pyarrow", "sqlalchemy"} & set(loaded)


def test_listing_the_indicators_imports_no_kernel(tmp_path: Path) -> None:
    code = (
        "import sys, contextlib, io\n"
        "sys.argv = ['uptrade', 'indicators', 'list']\n"
        "from uptrade.cli import app\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        app()\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, exc.code\n"
        "assert 'SniperProX' in out.getvalue() and 'Jurik' in out.getvalue(), out.getvalue()\n"
    )
    loaded = loaded_after(code, env={**os.environ, "UPTRADE_HOME": str(tmp_path), "COLUMNS": "200"})
    assert not {"numba", "llvmlite", "pandas", "pyarrow", "sqlalchemy"} & set(loaded), loaded


def test_the_catalogue_names_the_inputs_the_oscillators_read() -> None:
    from uptrade.indicators import sniper, vzo
    from uptrade.indicators.registry import INDICATORS

    assert INDICATORS["sniper"].inputs == sniper.INPUTS == sniper.SNIPER.inputs
    assert INDICATORS["vzo"].inputs == vzo.INPUTS == vzo.VZO.inputs


def test_a_bar_is_read_alike_from_a_mapping_a_pandas_row_and_attributes() -> None:
    names = ("high", "low", "close", "volume")
    values = (101.5, 99.25, 100.0, 7.0)
    frame = pd.DataFrame([values], columns=list(names))
    row = namedtuple("Row", names)(*values)
    assert bar_values(dict(zip(names, values, strict=True)), names) == values
    assert bar_values(frame.iloc[0], names) == values  # a pandas Series, indexed by name
    assert bar_values(row, names) == values
    assert bar_values(next(frame.itertuples()), names) == values


def env_without_numba_cache(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    return env


def cache_dirs(code: str, env: dict[str, str]) -> list[str]:
    """``NUMBA_CACHE_DIR`` and numba's own ``config.CACHE_DIR`` after running ``code``."""
    show = "import os\nfrom numba.core import config\nprint(os.environ['NUMBA_CACHE_DIR'], config.CACHE_DIR, sep='|')"
    probe = f"{code}\n{show}"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    return out.stdout.strip().splitlines()[-1].split("|")


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG cache directory is the Linux convention")
def test_numba_cache_defaults_to_the_user_cache_directory(tmp_path: Path) -> None:
    env = env_without_numba_cache(tmp_path)
    expected = str(tmp_path / "xdg" / "uptrade" / "numba" / kernel_fingerprint())
    assert cache_dirs("import uptrade.indicators.ma", env) == [expected, expected]
    # numba imported before uptrade has read the environment already; the default still reaches it
    assert cache_dirs("import numba\nimport uptrade", env) == [expected, expected]


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG cache directory is the Linux convention")
def test_kernels_are_cached_in_the_default_directory(tmp_path: Path) -> None:
    env = env_without_numba_cache(tmp_path)
    code = (
        "import numpy as np\n"
        "from uptrade.indicators.nb.rolling import first_valid_nb\n"
        "print(first_valid_nb(np.array([np.nan, np.nan, 3.0])))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "2"
    cached = {p.suffix for p in (tmp_path / "xdg" / "uptrade" / "numba").rglob("rolling.first_valid_nb*")}
    assert cached == {".nbi", ".nbc"}


def test_a_numba_cache_dir_the_user_set_wins(tmp_path: Path) -> None:
    env = env_without_numba_cache(tmp_path)
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "mine")
    assert cache_dirs("import uptrade.indicators.ma", env) == [str(tmp_path / "mine")] * 2
    env["NUMBA_CACHE_DIR"] = ""  # empty: numba's own default, next to the sources
    assert cache_dirs("import uptrade", env) == ["", ""]
    assert not (tmp_path / "xdg").exists()


def test_the_default_is_under_the_user_cache_directory() -> None:
    from platformdirs import user_cache_path

    from uptrade import numba_cache_dir

    assert Path(numba_cache_dir()) == user_cache_path("uptrade", appauthor=False) / "numba" / kernel_fingerprint()


def test_an_edited_kernel_file_starts_a_fresh_cache(tmp_path: Path) -> None:
    """numba checks only a function's own file: an edit of a callee elsewhere must change the directory."""
    package = Path(uptrade.__file__).parent
    copy = tmp_path / "uptrade"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    first = kernel_fingerprint(str(copy))
    assert first == kernel_fingerprint(str(copy))  # stable
    assert len(first) == 12
    (copy / "cli" / "app.py").write_text((copy / "cli" / "app.py").read_text() + "\n")
    assert kernel_fingerprint(str(copy)) == first  # not a kernel file
    machines = copy / "indicators" / "nb" / "machines.py"
    machines.write_text(machines.read_text() + "\n")
    second = kernel_fingerprint(str(copy))
    assert second != first
    validate = copy / "data" / "validate_nb.py"
    os.utime(validate, ns=(validate.stat().st_atime_ns, validate.stat().st_mtime_ns + 10**9))
    assert kernel_fingerprint(str(copy)) not in {first, second}
