"""The workbook's tables of lines: workspaces, line items, API keys, users and usage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reports.core.money import ZERO
from reports.core.records import TokenCounts
from reports.core.report import PayerLine, Report
from reports.outputs import excel_styles as st
from reports.outputs.xlsx import Book, Column

USAGE_NOT_AVAILABLE = "Usage data was not available for this month."

SHEET_WORKSPACES = "Workspaces"
SHEET_LINE_ITEMS = "Line Items"
SHEET_USAGE = "Usage"
SHEET_API_KEYS = "API Keys"
SHEET_USERS = "Users"
TOKEN_HEADERS = (
    "Uncached Input", "Cache Write 5m", "Cache Write 1h", "Cache Read", "Output", "Web Searches",
)


class LineSheets(Book):
    """The tables of lines, laid out on the book of the workbook's writer (which mixes this in)."""

    report: Report

    def workspaces(self) -> None:
        columns = (
            [Column("Workspace ID", st.TEXT, 30), Column("Workspace", st.TEXT, 30),
             Column("Cost Center", st.TEXT, 34), Column("Amount (USD)", st.MONEY, 14)]
            + [Column(header, st.INTEGER, 15) for header in TOKEN_HEADERS]
            + [Column("Cache Hit Rate", st.PERCENT, 11),
               Column("Prior Month (USD)", st.MONEY, 14),
               Column("Archived", st.TEXT, 10), Column("Unmapped", st.TEXT, 10)]
        )
        lines = self.report.workspaces
        tokens = TokenCounts()
        for line in lines:
            tokens = tokens + line.tokens
        # every workspace's exact spend: it rounds to the month's total, as the Summary's does
        footer = ([("Total", st.TOTAL_LABEL), ("", st.TOTAL_LABEL), ("", st.TOTAL_LABEL),
                   (sum((line.amount for line in lines), ZERO), st.TOTAL)]
                  + [(value, st.TOTAL_INTEGER) for value in _tokens(tokens)]
                  + [(tokens.cache_hit_rate, st.TOTAL_PERCENT),
                     (sum((line.prior_amount for line in lines), ZERO), st.TOTAL)])
        self.table(SHEET_WORKSPACES, columns, lines, lambda line: (
            line.workspace_id or "", line.name, line.cost_center, line.amount,
            *_tokens(line.tokens), line.cache_hit_rate, line.prior_amount,
            "Yes" if line.archived else "", "Yes" if line.unmapped else ""), footer=footer)

    def line_items(self) -> None:
        if self.report.has_attribution_columns:
            self._analytics_line_items()
            return
        columns = (
            Column("Date", st.DATE, 12), Column("Workspace ID", st.TEXT, 30),
            Column("Workspace", st.TEXT, 28), Column("Cost Center", st.TEXT, 20),
            Column("Description", st.TEXT, 40), Column("Cost Type", st.TEXT, 14),
            Column("Model", st.TEXT, 28), Column("Token Type", st.TEXT, 24),
            Column("Service Tier", st.TEXT, 12), Column("Context Window", st.TEXT, 14),
            Column("Amount (cents)", st.CENTS, 16), Column("Amount (USD)", st.MONEY, 14),
        )
        self.table(SHEET_LINE_ITEMS, columns, self.report.line_items, lambda item: (
            item.day, item.workspace_id or "", item.workspace_name, item.cost_center,
            item.description, item.cost_type, item.model, item.token_type, item.service_tier,
            item.context_window, item.amount_cents, item.amount))

    def _analytics_line_items(self) -> None:
        """The SPEC's analytics columns: one row per cost row, with its key, actor and list amount."""
        columns = (
            Column("Date", st.DATE, 12), Column("Workspace ID", st.TEXT, 30),
            Column("Workspace", st.TEXT, 28), Column("API Key ID", st.TEXT, 30),
            Column("API Key", st.TEXT, 26), Column("Actor", st.TEXT, 30),
            Column("Cost Center", st.TEXT, 20), Column("Cost Type", st.TEXT, 14),
            Column("Model", st.TEXT, 26), Column("Token Type", st.TEXT, 24),
            Column("Service Tier", st.TEXT, 12), Column("Context Window", st.TEXT, 14),
            Column("Product", st.TEXT, 20),
            Column("Amount (cents)", st.CENTS, 16), Column("List Amount (cents)", st.CENTS, 18),
            Column("Amount (USD)", st.MONEY, 14),
        )
        self.table(SHEET_LINE_ITEMS, columns, self.report.line_items, lambda item: (
            item.day, item.workspace_id or "", item.workspace_name, item.api_key_id or "", item.api_key_name,
            item.actor, item.cost_center, item.cost_type, item.model, item.token_type, item.service_tier,
            item.context_window, item.product, item.amount_cents, item.list_amount_cents, item.amount))

    def payers(self, title: str, lines: Sequence[PayerLine], first: Sequence[Column],
               to_row: Callable[[PayerLine], Sequence[Any]]) -> None:
        """API Keys / Users: one row per key or actor and a Total row (the spend they attribute)."""
        columns = tuple(first) + (Column("Cost Center", st.TEXT, 26), Column("Amount (USD)", st.MONEY, 14)) + \
            tuple(Column(header, st.INTEGER, 15) for header in TOKEN_HEADERS)
        trailing = (Column("ID", st.TEXT, 32), Column("Kind", st.TEXT, 16)) if title == SHEET_USERS else ()
        tokens = TokenCounts()
        for line in lines:
            tokens = tokens + line.tokens
        footer = ([("Total", st.TOTAL_LABEL)] + [("", st.TOTAL_LABEL)] * len(first)
                  + [(sum((line.amount for line in lines), ZERO), st.TOTAL)]
                  + [(value, st.TOTAL_INTEGER) for value in _tokens(tokens)])
        self.table(title, columns + trailing, lines, lambda line: (
            *to_row(line), line.cost_center, line.amount, *_tokens(line.tokens),
            *((line.id, line.kind.replace("_", " ")) if trailing else ())), footer=footer)

    def api_keys(self) -> None:
        self.payers(SHEET_API_KEYS, self.report.api_keys,
                    (Column("API Key ID", st.TEXT, 32), Column("API Key", st.TEXT, 28),
                     Column("Workspace", st.TEXT, 28)),
                    lambda line: (line.id or "", line.name, line.workspace or ""))

    def users(self) -> None:
        self.payers(SHEET_USERS, self.report.users,
                    (Column("User", st.TEXT, 28), Column("Email", st.TEXT, 32)),
                    lambda line: (line.name, line.email or ""))

    def usage(self) -> None:
        columns = (
            [Column("Workspace ID", st.TEXT, 30), Column("Workspace", st.TEXT, 28),
             Column("API Key ID", st.TEXT, 30), Column("API Key", st.TEXT, 28),
             Column("Model", st.TEXT, 28), Column("Service Tier", st.TEXT, 12)]
            + [Column(header, st.INTEGER, 15) for header in TOKEN_HEADERS]
        )
        if not self.report.usage_available:
            self.table(SHEET_USAGE, columns, (), _no_row, empty_note=USAGE_NOT_AVAILABLE)
            return
        self.table(SHEET_USAGE, columns, self.report.usage, lambda line: (
            line.workspace_id or "", line.workspace_name, line.api_key_id or "",
            line.api_key_name, line.model, line.service_tier, *_tokens(line.tokens)))



def _no_row(item: Any) -> Sequence[Any]:
    raise AssertionError("an empty table has no rows")


def _tokens(tokens: TokenCounts) -> tuple[int, ...]:
    return (tokens.uncached_input, tokens.cache_write_5m, tokens.cache_write_1h,
            tokens.cache_read, tokens.output, tokens.web_searches)
