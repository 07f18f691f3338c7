"""Emailing the executive summary: compose the message, send it once, record it."""
