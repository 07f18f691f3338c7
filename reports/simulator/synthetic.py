"""Synthetic organizations for the benchmarks: any number of workspaces, keys and users, every day active."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from reports.simulator.catalog import (
    COLORS,
    HAIKU_4_5,
    OPUS_4_6,
    SONNET_4_5,
    TOKEN_TYPES,
    ApiKeyInfo,
    Attribution,
    RbacGroupInfo,
    RbacMembership,
    ServiceAccountInfo,
    Stream,
    UserInfo,
    WorkspaceProfile,
    key_hint,
    utc,
)
from reports.simulator.organization import Organization


def synthetic_organization(
    workspaces: int,
    descriptions_per_workspace: int = 30,
    api_keys_per_workspace: int = 3,
    seed: int = 0,
    revision: int = 0,
) -> Organization:
    """A large organization for benchmarks: every workspace bills exactly
    ``descriptions_per_workspace`` cost rows per day (up to 32: 6 model x tier streams x 5
    token types, web search, code execution) and has ``api_keys_per_workspace`` keys."""
    streams_catalog = [
        Stream(SONNET_4_5, "standard"), Stream(HAIKU_4_5, "standard"), Stream(OPUS_4_6, "standard"),
        Stream(SONNET_4_5, "batch"), Stream(HAIKU_4_5, "batch"), Stream(OPUS_4_6, "batch"),
    ]
    max_descriptions = len(streams_catalog) * len(TOKEN_TYPES) + 2
    if not 1 <= descriptions_per_workspace <= max_descriptions:
        raise ValueError(f"descriptions_per_workspace must be 1..{max_descriptions}")
    if workspaces < 1 or api_keys_per_workspace < 1:
        raise ValueError("workspaces and api_keys_per_workspace must be at least 1")
    remaining = descriptions_per_workspace
    streams: list[Stream] = []
    for stream in streams_catalog:
        if remaining <= 0:
            break
        take = min(len(TOKEN_TYPES), remaining)
        streams.append(replace(stream, token_types=TOKEN_TYPES[:take], weight=1.0))
        remaining -= take
    web = remaining >= 1
    code = remaining >= 2
    if web:
        streams[0] = replace(streams[0], web_searches_per_mtok=30.0)
    total_weight = len(streams)
    streams = [replace(s, weight=1.0 / total_weight) for s in streams]
    keys: list[ApiKeyInfo] = []
    profiles: list[WorkspaceProfile] = []
    created = utc("2024-01-01T00:00:00Z")
    for number in range(workspaces):
        workspace_id = f"wrkspc_01SYNTH{number:016d}"
        key_shares = []
        for k in range(api_keys_per_workspace):
            key_id = f"apikey_01SYNTH{number:010d}K{k:05d}"
            keys.append(
                ApiKeyInfo(key_id, f"ws{number}-key{k}", workspace_id, "2024-01-02T00:00:00Z",
                           partial_key_hint=key_hint(key_id))
            )
            key_shares.append((key_id, 1.0 / api_keys_per_workspace))
        profiles.append(
            WorkspaceProfile(
                id=workspace_id, name=f"Synthetic workspace {number:05d}", created_at=created,
                display_color=COLORS[number % len(COLORS)],
                daily_mtok=0.5 + (number % 17) * 0.25, streams=tuple(streams),
                keys=tuple(key_shares), code_execution_seconds=600.0 if code else 0.0,
                weekend=0.6,
            )
        )
    return Organization(
        name=f"Synthetic org ({workspaces} workspaces)",
        profiles=tuple(profiles),
        api_keys=tuple(keys),
        seed=seed,
        revision=revision,
        late_workspace=profiles[0].id,
        late_key="apikey_01SYNTH0000000000LATE000",
        cache_days=4,
    )


def synthetic_analytics_organization(
    workspaces: int = 300,
    api_keys: int = 3000,
    users: int = 1500,
    seed: int = 0,
    revision: int = 0,
    groups: int = 0,
) -> Organization:
    """A large organization for the analytics benchmark, every day active.

    ``api_keys / workspaces`` keys per workspace, each workspace billing 17 cost rows a day
    (3 model x tier streams x 5 token types, web search, code execution). Odd-numbered keys
    are shared by the key itself (2/3, Messages API) and one user (1/3, Claude Code), so with 3,000
    keys each of 1,500 users spends on one key (with ``groups``, every key but a service account's is
    shared, 1/10 the key's Messages API and 9/10 its user's Claude Code or, every fourth key, Cowork);
    the first key of every tenth workspace acts as a service account; 1% of the users have been deleted
    (not listed, still in analytics rows).
    """
    if workspaces < 1 or api_keys < workspaces or api_keys % workspaces:
        raise ValueError("api_keys must be a positive multiple of workspaces")
    per_workspace = api_keys // workspaces
    base = synthetic_organization(workspaces, descriptions_per_workspace=17,
                                  api_keys_per_workspace=per_workspace, seed=seed, revision=revision)
    roles = ("developer", "user", "claude_code_user", "developer", "billing")
    people = tuple(
        UserInfo(f"user_01SYNTH{n:016d}", f"user{n:05d}@synthetic.example", f"Synthetic User {n:05d}",
                 roles[n % len(roles)], "2025-01-06T09:00:00Z", deleted=n % 100 == 99)
        for n in range(users)
    )
    accounts = tuple(ServiceAccountInfo(f"svac_01SYNTH{n:016d}", f"etl-{n:03d}")
                     for n in range(0, workspaces, 10))
    attributions: dict = {}
    shared = 0
    for profile in base.profiles:
        assert profile.id is not None  # a synthetic organization's workspaces all have IDs
        number = int(profile.id[len("wrkspc_01SYNTH"):])
        for position, (key_id, _share) in enumerate(profile.keys):
            if position == 0 and number % 10 == 0:
                attributions[(profile.id, key_id)] = (Attribution(f"svac_01SYNTH{number:016d}"),)
            elif groups and users:  # an Enterprise org's spend is mostly its users': each key shared with one
                user = people[shared % users]
                shared += 1
                # three products: the key's own traffic the Messages API, the user's Claude Code (every
                # fourth user's Cowork), so products to accounts can be tested with groups and a directory
                product = "cowork" if shared % 4 == 3 else "claude_code"
                attributions[(profile.id, key_id)] = (Attribution(key_id, 1), Attribution(user.id, 9, product))
            elif position % 2 == 1 and users:
                user = people[shared % users]
                shared += 1
                # the key's own traffic is the Messages API (the default), the user's share Claude Code
                attributions[(profile.id, key_id)] = (Attribution(key_id, 2), Attribution(user.id, 1, "claude_code"))
    return base.replaced(
        name=f"Synthetic analytics org ({workspaces} workspaces, {api_keys} keys, {users} users)",
        users=people,
        service_accounts=accounts,
        attributions=attributions,
        list_price_factors={OPUS_4_6.id: 125},
        cache_days=64,  # two months and more: a run asks for its month and the one before
        enterprise=groups > 0,
        rbac_groups=synthetic_groups(groups),
        rbac_memberships=synthetic_memberships(people, groups),
    )


GROUP_CHANGE_JOIN = date(2026, 10, 16)  # some users joined their second group mid-month (October 2026)
GROUP_CHANGE_LEAVE = date(2026, 10, 10)  # some left a former group before the month ended


def synthetic_groups(count: int) -> tuple[RbacGroupInfo, ...]:
    """``count`` groups ``Team 00``…; the last two are both named "Shared Services" (names are not unique)."""
    return tuple(RbacGroupInfo(f"rbac_group_01SYNTH{k:014d}",
                               "Shared Services" if count > 2 and k >= count - 2 else f"Team {k:02d}",
                               "scim" if k % 2 else "direct")
                 for k in range(count))


def synthetic_memberships(people: tuple[UserInfo, ...], count: int) -> tuple[RbacMembership, ...]:
    """Every user in group ``n % count``; every third user also in a second group (every fifteenth in a
    third), every ninth joined the second on GROUP_CHANGE_JOIN; every 21st left a former group on
    GROUP_CHANGE_LEAVE (attributed before it, gone from the members listing)."""
    if count < 1:
        return ()
    ids = [group.id for group in synthetic_groups(count)]
    out: list[RbacMembership] = []
    for n, user in enumerate(people):
        first = n % count
        out.append(RbacMembership(user.id, ids[first]))
        taken = {first}
        if n % 3 == 0 and count > 1:
            second = (first + 1 + (n // 3) % (count - 1)) % count
            taken.add(second)
            out.append(RbacMembership(user.id, ids[second], since=GROUP_CHANGE_JOIN if n % 9 == 0 else None))
            if n % 15 == 0 and count > 2:
                third = next(k for k in range(count) if k not in taken)
                taken.add(third)
                out.append(RbacMembership(user.id, ids[third]))
            if n % 21 == 0 and len(taken) < count:
                former = next(k for k in reversed(range(count)) if k not in taken)
                out.append(RbacMembership(user.id, ids[former], until=GROUP_CHANGE_LEAVE))
    return tuple(out)
