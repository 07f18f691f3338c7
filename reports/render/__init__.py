"""Renderers: workbook, journal CSV, PDF, manifest."""
