"""Configuration: valid files load exactly; every problem is reported at once with line and key."""

from decimal import Decimal
from pathlib import Path

import pytest

from reports.config import load_settings, parse_settings
from reports.errors import ConfigError
from reports.resources import config_dir

GOOD = b"""organization: Acme Corp
journal:
  credit_account: "2150"
  expense_account: "6420"
  memo: "Claude API chargeback {month}"
cost_centers:
  - code: ENG-100
    name: Platform Engineering
    expense_account: "6421"
    budget: 2500.10
    workspaces: [wrkspc_A, wrkspc_B]
  - code: SUP-200
    name: Customer Support
    workspaces: [wrkspc_C]
  - code: FIN-999
    name: Unallocated
default_workspace: ENG-100
unallocated: FIN-999
shared:
  - workspace: wrkspc_D
    split: {ENG-100: 70, SUP-200: 30}
  - workspace: wrkspc_E
    split: proportional
email:
  to: [cfo@acme.example]
  from: finops@acme.example
  smtp_host: smtp.acme.example
  smtp_port: 587
  security: starttls
  username_env: SMTP_USERNAME
  password_env: SMTP_PASSWORD
"""


def problems_of(text: bytes) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "chargeback.yaml")
    return caught.value.problems


def test_a_valid_file_loads_with_exact_budgets_and_overrides():
    settings = parse_settings(GOOD, "chargeback.yaml")
    assert settings.organization == "Acme Corp"
    assert [c.code for c in settings.cost_centers] == ["ENG-100", "SUP-200", "FIN-999"]
    assert settings.cost_center("ENG-100").budget == Decimal("2500.10")
    assert settings.expense_account_for("ENG-100") == "6421"
    assert settings.expense_account_for("SUP-200") == "6420"
    assert settings.shared[0].split == {"ENG-100": Decimal(70), "SUP-200": Decimal(30)}
    assert settings.shared[1].proportional
    assert settings.email.sender == "finops@acme.example"
    assert len(settings.sha256) == 64


def test_every_problem_is_listed_with_file_line_and_key():
    bad = GOOD.replace(b"code: SUP-200", b"code: ENG-100").replace(b"ENG-100: 70, SUP-200: 30", b"ENG-100: 70, OPS-1: 20")
    bad = bad.replace(b"unallocated: FIN-999", b"unallocated: FIN-998") + b"colour: blue\n"
    problems = problems_of(bad)
    text = "\n".join(problems)
    assert "chargeback.yaml:12: cost_centers[1].code: ENG-100 is already used" in text
    assert "unallocated: names cost center FIN-998" in text
    assert "shared[0].split.OPS-1: names cost center OPS-1" in text
    assert "colour: unknown key" in text
    assert all(p.startswith("chargeback.yaml:") for p in problems)
    # in file order, so the user can walk down the file
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)


def test_fixed_split_must_sum_to_exactly_100():
    problems = problems_of(GOOD.replace(b"SUP-200: 30}", b"SUP-200: 29.99}"))
    assert any("add up to 99.99, not exactly 100" in p for p in problems)


def test_a_workspace_may_belong_to_only_one_owner():
    problems = problems_of(GOOD.replace(b"workspaces: [wrkspc_C]", b"workspaces: [wrkspc_C, wrkspc_A]")
                           .replace(b"workspace: wrkspc_E", b"workspace: wrkspc_C"))
    text = "\n".join(problems)
    assert "wrkspc_A is already assigned to cost center ENG-100" in text
    assert "wrkspc_C is already assigned to cost center SUP-200" in text


def test_bad_yaml_names_the_line():
    problems = problems_of(b"organization: Acme\ncost_centers:\n  - code: [unclosed\n")
    assert problems[0].startswith("chargeback.yaml:") and "YAML syntax error" in problems[0]


def test_passwords_are_never_read_from_yaml():
    problems = problems_of(GOOD.replace(b"  password_env: SMTP_PASSWORD", b"  password: hunter2"))
    assert any("email.password" in p and "never read from the YAML" in p for p in problems)
    assert not any("hunter2" in p for p in problems)


def test_missing_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "nope.yaml")
    assert "file not found" in str(caught.value)


def test_shipped_configs_are_valid():
    for name in ("demo.yaml", "chargeback.example.yaml"):
        settings = load_settings(config_dir() / name)
        assert settings.cost_centers


# ---------------------------------------------------------------- attribution rules (source: analytics)

ANALYTICS_CONFIG = b"""organization: Acme Corp
source: analytics
cost_centers:
  - code: ENG-100
    name: Platform Engineering
    workspaces: [wrkspc_A]
    api_keys: [apikey_01K1]
    users: [alice@acme.example, user_01BOB]
  - code: SUP-200
    name: Customer Support
    service_accounts: [svac_01ETL]
  - code: FIN-999
    name: Unallocated
unallocated: FIN-999
shared:
  - api_key: apikey_01POOL
    split: {ENG-100: 50, SUP-200: 50}
"""


def test_analytics_rules_load():
    settings = parse_settings(ANALYTICS_CONFIG, "chargeback.yaml")
    assert settings.source == "analytics"
    eng = settings.cost_center("ENG-100")
    assert eng.api_keys == ("apikey_01K1",) and eng.users == ("alice@acme.example", "user_01BOB")
    assert settings.cost_center("SUP-200").service_accounts == ("svac_01ETL",)
    assert settings.shared[0].api_key == "apikey_01POOL" and settings.shared[0].workspace is None


def test_rules_that_need_the_analytics_source_are_refused_with_the_cost_report():
    text = ANALYTICS_CONFIG.replace(b"source: analytics\n", b"")
    problems = problems_of(text)
    assert problems == [
        "chargeback.yaml:6: cost_centers[0].api_keys: api_keys need source: analytics "
        "(with source: cost_report the cost report only knows workspaces)",
        "chargeback.yaml:7: cost_centers[0].users: users need source: analytics "
        "(with source: cost_report the cost report only knows workspaces)",
        "chargeback.yaml:7: cost_centers[0].users: users need source: analytics "
        "(with source: cost_report the cost report only knows workspaces)",
        "chargeback.yaml:10: cost_centers[1].service_accounts: service_accounts need source: analytics "
        "(with source: cost_report the cost report only knows workspaces)",
        "chargeback.yaml:15: shared[0].api_key: a shared api_key rule need source: analytics "
        "(with source: cost_report the cost report only knows workspaces)",
    ]
    # the command line's --source is the source that counts
    with pytest.raises(ConfigError, match="with run --source cost_report"):
        parse_settings(ANALYTICS_CONFIG, "chargeback.yaml", source="cost_report")


def test_an_id_or_email_listed_twice_is_reported_with_both_owners():
    text = ANALYTICS_CONFIG.replace(b"service_accounts: [svac_01ETL]",
                                    b"service_accounts: [svac_01ETL]\n    users: [Alice@ACME.example]\n"
                                    b"    api_keys: [apikey_01POOL]")
    problems = problems_of(text)
    assert problems == [
        "chargeback.yaml:12: cost_centers[1].users: Alice@ACME.example is already assigned to cost center ENG-100",
        "chargeback.yaml:18: shared[0].api_key: apikey_01POOL is already assigned to cost center SUP-200",
    ]


def test_a_shared_rule_names_one_workspace_or_one_key():
    text = ANALYTICS_CONFIG.replace(b"  - api_key: apikey_01POOL\n", b"  - api_key: apikey_01POOL\n    workspace: wrkspc_Z\n")
    assert any("names one workspace or one api_key, not both" in p for p in problems_of(text))
    text = ANALYTICS_CONFIG.replace(b"  - api_key: apikey_01POOL\n    split:", b"  - split:")
    assert any("needs a workspace (or, with source: analytics, an api_key)" in p for p in problems_of(text))


def test_an_unknown_source_is_a_problem():
    assert problems_of(ANALYTICS_CONFIG.replace(b"source: analytics", b"source: billing")) == [
        "chargeback.yaml:2: source: must be one of cost_report, analytics, got 'billing'"]
