"""Where the shipped templates and config live, in a source checkout or an installed wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _locate(folder: str, package: str) -> Path:
    in_checkout = _SOURCE_ROOT / folder
    if in_checkout.is_dir() and (_SOURCE_ROOT / "pyproject.toml").is_file():
        return in_checkout
    return Path(str(resources.files(package)))


def templates_dir() -> Path:
    """``templates/``: HTML, CSS and fonts for the PDF and the email."""
    return _locate("templates", "reports.templates")


def config_dir() -> Path:
    """``config/``: the demo mapping and the documented example configuration."""
    return _locate("config", "reports.bundled_config")
