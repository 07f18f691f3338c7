"""The ``email:`` section of the config: recipients, sender, SMTP server and how to log in."""

from __future__ import annotations

import re
from email.utils import parseaddr

from reports.config.fields import EMAIL, read_list, read_mapping, read_text, unknown_keys
from reports.config.yaml_nodes import Node, Problems
from reports.core.settings import EmailSettings
from reports.hosts import is_loopback

_EMAIL_KEYS = {
    "to", "cc", "workbook_to", "from", "smtp_host", "smtp_port", "security",
    "username_env", "password_env",
}
_SECURITY = ("starttls", "ssl", "none")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_email(node: Node | None, problems: Problems) -> EmailSettings | None:
    mapping = read_mapping(node, "email", problems)
    if mapping is None:
        return None
    if "password" in mapping or "username" in mapping:
        bad = "password" if "password" in mapping else "username"
        problems.add(mapping[bad], f"email.{bad}",
                     f"credentials are never read from the YAML; set email.{bad}_env to the name of an "
                     "environment variable")
        mapping = {k: v for k, v in mapping.items() if k not in ("password", "username")}
    unknown_keys(mapping, _EMAIL_KEYS, "email.", problems)
    to = _addresses(mapping.get("to"), "email.to", problems)
    if not to:
        problems.add(mapping.get("to") or node, "email.to", "needs at least one recipient")
    cc = _addresses(mapping.get("cc"), "email.cc", problems)
    workbook_to = _addresses(mapping.get("workbook_to"), "email.workbook_to", problems)
    sender = read_text(mapping.get("from"), "email.from", problems, required=True, parent=node)
    if sender and not EMAIL.match(parseaddr(sender)[1]):
        problems.add(mapping.get("from"), "email.from", f"{sender!r} is not an email address")
    host = read_text(mapping.get("smtp_host"), "email.smtp_host", problems, required=True, parent=node)
    port = 587
    port_node = mapping.get("smtp_port")
    if port_node is not None and port_node.value is not None:
        value = port_node.value
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            problems.add(port_node, "email.smtp_port", "must be a port number from 1 to 65535")
        else:
            port = value
    security = read_text(mapping.get("security"), "email.security", problems) or "starttls"
    if security not in _SECURITY:
        problems.add(mapping.get("security"), "email.security", f"must be one of {', '.join(_SECURITY)}")
    envs = {}
    for key in ("username_env", "password_env"):
        name = read_text(mapping.get(key), f"email.{key}", problems)
        if name is not None and not _ENV_NAME.match(name):
            problems.add(mapping.get(key), f"email.{key}",
                         "must be the name of an environment variable, for example SMTP_PASSWORD")
            name = None
        envs[key] = name
    _check_login(mapping, security, host, problems)
    return EmailSettings(
        to=tuple(to), sender=sender or "", smtp_host=host or "", smtp_port=port, security=security,
        cc=tuple(cc), workbook_to=tuple(workbook_to), **envs,
    )


def _check_login(mapping: dict[str, Node], security: str, host: str | None, problems: Problems) -> None:
    """The SMTP login: both variable names or neither, and never a password in clear to another machine."""
    given = [key for key in ("username_env", "password_env") if key in mapping and mapping[key].value is not None]
    if len(given) == 1:
        missing = "password_env" if given == ["username_env"] else "username_env"
        problems.add(mapping[given[0]], f"email.{missing}",
                     f"must be set together with email.{given[0]}: the SMTP login needs both")
    if given and security == "none" and host and not is_loopback(host):
        problems.add(mapping.get("security"), "email.security",
                     f"none would send the SMTP password unencrypted to {host}; "
                     "use starttls (port 587) or ssl (port 465)")


def _addresses(node: Node | None, key: str, problems: Problems) -> list[str]:
    if node is not None and isinstance(node.value, str):
        node = Node([Node(node.value, node.line, node.text)], node.line)
    addresses = []
    for text, item in read_list(node, key, problems):
        if not EMAIL.match(text):
            problems.add(item, key, f"{text!r} is not an email address")
        else:
            addresses.append(text)
    return addresses
