"""Where the shipped templates and config live, in a source checkout or an installed wheel.

In a checkout they are the top-level ``templates/`` and ``config/`` folders; a wheel installs
them inside the package as ``reports/templates`` and ``reports/bundled_config`` (see the
package-dir mapping in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_SOURCE_ROOT = _PACKAGE.parent


def _locate(folder: str, installed_name: str) -> Path:
    in_checkout = _SOURCE_ROOT / folder
    if in_checkout.is_dir() and (_SOURCE_ROOT / "pyproject.toml").is_file():
        return in_checkout
    return _PACKAGE / installed_name


def templates_dir() -> Path:
    """``templates/``: HTML, CSS and fonts for the PDF and the email."""
    return _locate("templates", "templates")


def config_dir() -> Path:
    """``config/``: the demo mapping and the documented example configuration."""
    return _locate("config", "bundled_config")
