"""The workbook's Groups sheet: each configured RBAC group attributed (overlapping) and allocated (each dollar once).

Only with ``groups:`` in the config. The rows under the groups make the Allocated column add
up to the organization's total, and the proof says so; the figures are the core's
(``core.groups.GroupsView``), written here as they are.
"""

from __future__ import annotations

from reports.core.report import Report
from reports.outputs import excel_styles as st
from reports.outputs.xlsx import Book

SHEET_GROUPS = "Groups"
GROUPS_HEADERS = ("Group ID", "Group", "Cost Center", "Members", "Attributed (USD)", "Allocated (USD)")
OTHER_RULES = ("Allocated by other rules (users and service accounts named in the config, API keys, workspaces, "
               "the Default workspace, unallocated)")
TOTAL = "Total"
ORGANIZATION_TOTAL = "Organization total (the month's cost)"
PROOF = "Proof: allocated total = organization total"
OVERLAP = "Overlap: attributed minus allocated by groups"
NO_GROUP = "The API's row of users in no group (and identities that are not users)"
DECIDED_BY = "Decided by"


class GroupSheets(Book):
    """The Groups sheet, laid out on the book of the workbook's writer (which mixes this in)."""

    report: Report

    def groups(self) -> None:
        view = self.report.groups
        if view is None:
            return
        ws, c = self.sheet(SHEET_GROUPS, (38, 44, 14, 10, 18, 18))
        ws.freeze_panes = "A2"
        ws.append(c.header_row(GROUPS_HEADERS))
        for line in view.lines:
            ws.append([c.text(line.group_id), c.text(line.name), c.text(line.code), c.number(line.members, st.INTEGER),
                       c.number(line.attributed, st.EXACT), c.number(line.allocated, st.EXACT)])
        ws.append([None, c.text(OTHER_RULES), None, None, None, c.number(view.other, st.EXACT)])
        ws.append([c.text(TOTAL, st.TOTAL_LABEL), c.text("", st.TOTAL_LABEL), c.text("", st.TOTAL_LABEL),
                   c.text("", st.TOTAL_LABEL), c.number(view.attributed_total, st.TOTAL),
                   c.number(view.allocated_total, st.TOTAL)])
        ws.append([])
        ws.append([None, c.text(ORGANIZATION_TOTAL, st.LABEL), None, None, None,
                   c.number(view.organization_total, st.EXACT)])
        status = "PASS" if view.proved else "FAIL"
        ws.append([None, c.text(PROOF, st.LABEL), c.text(status, st.PASS if view.proved else st.FAIL), None, None,
                   c.number(view.allocated_total - view.organization_total, st.EXACT)])
        ws.append([None, c.text(OVERLAP, st.LABEL), None, None, c.number(view.overlap, st.EXACT), None])
        ws.append([None, c.text(NO_GROUP, st.LABEL), None, None, c.number(view.unassigned, st.EXACT), None])
        ws.append([None, c.text(DECIDED_BY, st.LABEL), c.text(view.rule)])
