"""The YAML configuration: read with line numbers, validated into frozen Settings."""

from reports.config.schema import load_settings, parse_settings

__all__ = ["load_settings", "parse_settings"]
