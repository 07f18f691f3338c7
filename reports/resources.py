"""Where the shipped templates and config live, and which config a command reads.

In a checkout they are the top-level ``templates/`` and ``config/`` folders; a wheel installs
them inside the package as ``reports/templates`` and ``reports/bundled_config`` (see the
package-dir mapping in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

from reports.core.settings import ANALYTICS

# The user's mapping when no --config is given, relative to the folder chargeback runs in.
DEFAULT_CONFIG = Path("config/chargeback.yaml")

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


def demo_config_path(source: str | None = None) -> Path:
    """The shipped demo mapping: the legacy one, or the analytics one for ``--source analytics``."""
    return config_dir() / ("demo-analytics.yaml" if source == ANALYTICS else "demo.yaml")


def config_to_read(given: Path | None, *, demo: bool = False, source: str | None = None) -> Path:
    """The configuration a command reads: ``--config``, else the demo mapping with ``--demo``, else DEFAULT_CONFIG."""
    if given is not None:
        return given
    return demo_config_path(source) if demo else DEFAULT_CONFIG
