"""chargeback: month-end chargeback and finance reports for Claude API spend."""

__version__ = "0.1.0"
