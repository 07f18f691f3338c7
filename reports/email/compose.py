"""Compose the month's email: headline numbers from the manifest, subject, bodies, attachments.

No network here: ``reports.email.send`` sends what this module builds. Amounts are read from the
manifest's decimal strings with ``Decimal`` and only formatted, never recomputed.
"""

from __future__ import annotations

import calendar
import hashlib
import mimetypes
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

import jinja2

from reports.core.budget import AgainstBudget
from reports.core.money_text import money_text
from reports.core.months import Month
from reports.core.settings import EmailSettings
from reports.outputs import formatting
from reports.outputs.manifest import Manifest
from reports.outputs.manifest_totals import YearToDate
from reports.outputs.names import adjustment_journal_name
from reports.resources import templates_dir

TOP_COST_CENTERS = 5
EM_DASH = "\u2014"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SUMMARY = "summary"  # the leadership message: the PDF
WORKBOOK = "workbook"  # the finance message: the PDF and the workbook


# ---------------------------------------------------------------- headline numbers


@dataclass(frozen=True)
class CostCenterLine:
    code: str
    name: str
    total: Decimal
    share: Decimal | None  # fraction of the month's total
    budget: Decimal | None
    variance: Decimal | None
    prior_total: Decimal | None
    change: Decimal | None


@dataclass(frozen=True)
class Restated:
    """A restatement's summary as the email marks it: what it changes from what was posted before it."""

    label: str  # R1, R2, …
    sealed_at: str  # when the month was closed (RFC 3339)
    posted_before: Decimal  # the month as posted before this restatement (sealed journal plus earlier adjustments)
    adjustment: Decimal  # this restatement's adjustment journal, net (restated minus posted before)
    changes: tuple[tuple[str, Decimal], ...]  # cost center code -> its adjustment, largest first


@dataclass(frozen=True)
class Headline:
    """What the email says, from the manifest's totals."""

    month: Month
    organization: str
    demo: bool
    source: str
    generated_at: str
    currency: str
    total: Decimal
    prior_month: Month
    prior_total: Decimal | None
    change: Decimal | None
    change_ratio: Decimal | None
    top: tuple[CostCenterLine, ...]  # the largest cost centers by total, at most five
    others_count: int  # cost centers not in ``top``
    others_total: Decimal
    year_to_date: YearToDate | None = None  # the fiscal year so far, as the run's History sheet shows it
    status: str | None = None  # the month's status when sent: not closed | closed | restated (None: not said)
    restated: Restated | None = None  # set when the summary is a restatement's
    against_budget: AgainstBudget | None = None  # the month against budget, as the Summary's last three rows


def headline_from_manifest(manifest: Manifest, month: Month) -> Headline:
    """The email's numbers: the month total, month-over-month change, top cost centers."""
    totals = manifest.totals
    total = totals.total
    centers = [
        CostCenterLine(code=line.code, name=line.name or line.code, total=line.total,
                       share=(line.total / total) if total else None, budget=line.budget,
                       variance=line.variance, prior_total=line.prior_total, change=line.change)
        for line in totals.cost_centers
    ]
    # Largest first; ties by code so the email is reproducible.
    centers.sort(key=lambda line: (-line.total, line.code))
    top = tuple(centers[:TOP_COST_CENTERS])
    rest = centers[TOP_COST_CENTERS:]
    return Headline(
        month=month,
        organization=manifest.organization,
        demo=manifest.demo or manifest.fetched == "demo",
        source=manifest.source,
        generated_at=manifest.generated_at,
        currency=totals.currency,
        total=total,
        prior_month=totals.prior_month,
        prior_total=totals.prior_total,
        change=totals.change,
        change_ratio=totals.change_ratio,
        top=top,
        others_count=len(rest),
        others_total=sum((line.total for line in rest), Decimal("0")),
        year_to_date=totals.year_to_date,
        against_budget=totals.against_budget,
    )


def as_sent(headline: Headline, manifest: Manifest, *, status: str, label: str | None,
            sealed_at: str | None) -> Headline:
    """The headline with the month's status now, and a restatement's adjustment when it is a restatement's summary.

    A month's own manifest was written before the month was closed, so its year to date counts the
    month itself as not closed; once the month is closed, it is not.
    """
    year = headline.year_to_date
    if status != "not closed" and label is None and year is not None and year.not_closed_months:
        year = replace(year, not_closed_months=year.not_closed_months - 1)
    restated = None
    adjustment = manifest.totals.adjustment
    if label is not None and adjustment is not None and sealed_at is not None:
        net = sum(adjustment.usd.values(), Decimal("0"))
        changes = sorted(((code, amount) for code, amount in adjustment.usd.items() if amount),
                         key=lambda item: (-abs(item[1]), item[0]))
        restated = Restated(label, sealed_at, headline.total - net, net, tuple(changes))
    return replace(headline, year_to_date=year, status=status, restated=restated)


# ---------------------------------------------------------------- formatting


def format_ratio(ratio: Decimal, *, signed: bool = True) -> str:
    """A fraction as a percentage to one decimal, half-up: ``0.08295`` -> ``+8.3%``."""
    return formatting.signed_percent(ratio) if signed else formatting.percent(ratio)


def subject_for(headline: Headline) -> str:
    """``Claude API chargeback — October 2026 — $12,345.67 (+8.2% vs September)``."""
    restated = f" (restated {headline.restated.label})" if headline.restated is not None else ""
    subject = (
        f"Claude API chargeback {EM_DASH} {headline.month.label}{restated} {EM_DASH} "
        f"{money_text(headline.total, headline.currency)}"
    )
    if headline.change_ratio is not None and headline.prior_total is not None:
        prior_name = calendar.month_name[headline.prior_month.month]
        subject += f" ({format_ratio(headline.change_ratio)} vs {prior_name})"
    return ("[DEMO] " + subject) if headline.demo else subject


def _template_context(headline: Headline, attachments: list[str], workbook: bool) -> dict:
    money = lambda value, signed=False: (  # noqa: E731 - a tiny formatter for the templates
        "" if value is None else money_text(value, headline.currency, signed=signed)
    )
    return {
        "h": headline,
        "month_label": headline.month.label,
        "prior_label": headline.prior_month.label,
        "total": money(headline.total),
        "prior_total": money(headline.prior_total),
        "change": money(headline.change, True),
        "change_ratio": format_ratio(headline.change_ratio)
        if headline.change_ratio is not None
        else "",
        "has_prior": headline.prior_total is not None,
        "top": [
            {
                "code": line.code,
                "name": line.name,
                "total": money(line.total),
                "share": format_ratio(line.share, signed=False) if line.share is not None else "",
                "change": money(line.change, True),
                "budget": money(line.budget),
                "variance": money(line.variance, True),
                "over_budget": line.variance is not None and line.variance > 0,
            }
            for line in headline.top
        ],
        "year": _year_context(headline.year_to_date),
        "status": _status_text(headline),
        "restated": _restated_context(headline),
        "against_budget": [
            {"label": part.label, "total": money(part.total), "budget": money(part.budget),
             "variance": money(part.variance, True)}
            for part in headline.against_budget.lines
        ] if headline.against_budget is not None and headline.against_budget.has_budgets else [],
        "others_count": headline.others_count,
        "others_total": money(headline.others_total),
        "attachments": attachments,
        "workbook": workbook,
    }


def _status_text(headline: Headline) -> str | None:
    """``October 2026 is closed.``: the month's status in the History's words, when the sender knows it."""
    if headline.status is None:
        return None
    if headline.restated is not None:
        return (f"{headline.month.label} is restated ({headline.restated.label}): closed on "
                f"{headline.restated.sealed_at[:10]}, then restated.")
    return f"{headline.month.label} is {headline.status}."


def _restated_context(headline: Headline) -> dict | None:
    """What a restatement's email says it changes: the total before and after, the adjustment per cost center."""
    restated = headline.restated
    if restated is None:
        return None
    return {
        "label": restated.label,
        "before": money_text(restated.posted_before, headline.currency),
        "adjustment": money_text(restated.adjustment, headline.currency, signed=True),
        "changes": ", ".join(f"{code} {money_text(amount, headline.currency, signed=True)}"
                             for code, amount in restated.changes),
        "journal": adjustment_journal_name(headline.month, restated.label),
    }


def _year_context(year: YearToDate | None) -> dict | None:
    """The year-to-date line: the figure as the History sheet has it, with its months and budget."""
    if year is None:
        return None
    months = f"{year.posted_months} of {year.months} month{'s' if year.months != 1 else ''} posted"
    if year.not_closed_months:
        months += f", {year.not_closed_months} not closed"
    # budget to date counts the posted months, as year to date does: say which
    same = "that month" if year.posted_months == 1 else f"those {year.posted_months} months"
    return {
        "same_months": same,
        "total": None if year.total is None or year.currency is None else money_text(year.total, year.currency),
        "since": year.fiscal_year_start.label,
        "through": year.through.label,
        "months": months,
        "budget": None if year.budget is None else money_text(year.budget),
        "variance": None if year.variance is None else money_text(year.variance, signed=True),
        "projection": year.projection,
    }


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_bodies(headline: Headline, attachments: list[str], *, workbook: bool) -> tuple[str, str]:
    """(plain text, HTML) bodies from templates/email_body.txt and email_body.html."""
    env = _environment()
    context = _template_context(headline, attachments, workbook)
    text = env.get_template("email_body.txt").render(context)
    html = env.get_template("email_body.html").render(context)
    return text, html


# ---------------------------------------------------------------- the message


@dataclass(frozen=True)
class Attachment:
    """A file's bytes as read once: what is attached is exactly what is hashed and recorded."""

    filename: str
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def read(cls, path: Path) -> Attachment:
        return cls(filename=path.name, data=path.read_bytes())


@dataclass(frozen=True)
class Composed:
    """One message ready to send: headers, MIME tree and the SMTP envelope."""

    kind: str  # SUMMARY or WORKBOOK
    message: EmailMessage
    envelope_from: str
    envelope_to: tuple[str, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    attachments: tuple[Attachment, ...]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


def _address(text: str) -> str:
    return parseaddr(text)[1] or text.strip()


def _unique(addresses: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    result = []
    for address in addresses:
        key = _address(address).lower()
        if key and key not in seen:
            seen.add(key)
            result.append(_address(address))
    return tuple(result)


def compose(
    settings: EmailSettings,
    headline: Headline,
    *,
    kind: str,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    attachments: tuple[Attachment, ...],
    now: datetime,
) -> Composed:
    """Build one multipart message: text + HTML alternative, then the attachments."""
    names = [attachment.filename for attachment in attachments]
    text, html = render_bodies(headline, names, workbook=(kind == WORKBOOK))
    sender = _address(settings.sender)
    domain = sender.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["Subject"] = subject_for(headline)
    message["From"] = settings.sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Date"] = format_datetime(now.astimezone(UTC))
    # Our own domain, not socket.getfqdn(): stable and no DNS lookup.
    restated = f".{headline.restated.label}" if headline.restated is not None else ""
    message["Message-ID"] = make_msgid(idstring=f"chargeback.{headline.month}{restated}.{kind}", domain=domain)
    # RFC 3834: tells auto-responders (out-of-office) not to reply to a report.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Chargeback-Month"] = str(headline.month)
    if headline.restated is not None:
        message["X-Chargeback-Restatement"] = headline.restated.label
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        mime = (
            XLSX_TYPE
            if attachment.filename.endswith(".xlsx")
            else mimetypes.guess_type(attachment.filename)[0] or "application/octet-stream"
        )
        maintype, _, subtype = mime.partition("/")
        message.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
        )
    return Composed(
        kind=kind,
        message=message,
        envelope_from=sender,
        envelope_to=_unique(to + cc),
        to=to,
        cc=cc,
        attachments=attachments,
    )
