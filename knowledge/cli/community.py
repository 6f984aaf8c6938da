"""`wayfinder providers …` and `wayfinder tokens …`: who may keep the directory current."""

from __future__ import annotations

import argparse
from typing import Any

from knowledge.cli.context import CliError, Context, require_schema
from knowledge.community import (
    INVITE_DAYS,
    AccessError,
    create_invite,
    find_provider_named,
    issue_token,
    list_tokens,
    redeem_invite,
    revoke_token,
)


def register(groups: Any) -> None:
    """Add the `providers` and `tokens` command groups."""
    providers = groups.add_parser("providers", help="invite provider members and organisers")
    commands = providers.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    invite = commands.add_parser(
        "invite", help="make a single-use, expiring code for joining a provider (or as organiser)"
    )
    invite.add_argument("provider", nargs="?", help="the provider's name, e.g. 'Eastside Library'")
    invite.add_argument("--organiser", action="store_true", help="invite an organiser instead")
    invite.add_argument("--days", type=int, default=INVITE_DAYS, help="valid for (default: 7)")
    invite.add_argument("--by", default="cli", help="who is inviting (kept with the invite)")
    invite.set_defaults(handler=run_invite)
    join = commands.add_parser("join", help="redeem an invite code for an API token")
    join.add_argument("code", help="the code from the organiser")
    join.add_argument("--label", required=True, help="what the token is for, e.g. 'our website'")
    join.set_defaults(handler=run_join)

    tokens = groups.add_parser("tokens", help="list and revoke API tokens")
    token_commands = tokens.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    token_commands.add_parser(
        "list", help="every token: id, member, providers, last use"
    ).set_defaults(handler=run_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=run_revoke)


def run_invite(args: argparse.Namespace, context: Context) -> int:
    """Print a new code and where it works."""
    require_schema(context)
    if args.organiser == bool(args.provider):
        raise CliError("name a provider, or pass --organiser (one of the two)")
    with context.sessions.begin() as session:
        try:
            provider = None if args.organiser else find_provider_named(session, args.provider)
            made = create_invite(
                session,
                role="organiser" if args.organiser else "provider",
                created_by=args.by,
                provider=provider,
                days=args.days,
            )
        except AccessError as error:
            raise CliError(str(error)) from None
        where = "an organiser" if provider is None else f"a member of {provider.name}"
        print(f"Invite code: {made.code}")
        print(f"It makes whoever redeems it {where}; it works once, until "
              f"{made.invite.expires_at:%Y-%m-%d %H:%M} UTC.")  # fmt: skip
        print("Redeem it in Telegram with /join CODE, or for an API token with "
              "`wayfinder providers join CODE --label …`.")  # fmt: skip
    return 0


def run_join(args: argparse.Namespace, context: Context) -> int:
    """Redeem a code and print the new API token (shown this once)."""
    require_schema(context)
    with context.sessions.begin() as session:
        try:
            member = redeem_invite(session, args.code)
            made = issue_token(session, member, args.label)
        except AccessError as error:
            raise CliError(str(error)) from None
        scope = ", ".join(p.name for p in member.providers) or "every listing (organiser)"
        print(f"API token {made.token.id} ({made.token.label}) for {scope}:")
        print(made.value)
        print("Keep it secret: it is shown only now. `wayfinder tokens revoke ID` disables it.")
    return 0


def run_list(_args: argparse.Namespace, context: Context) -> int:
    """One line per token."""
    require_schema(context)
    with context.sessions() as session:
        tokens = list_tokens(session)
        if not tokens:
            print("No API tokens yet.")
        for token in tokens:
            member = token.member
            scope = ", ".join(p.name for p in member.providers) or member.role
            used = f"{token.last_used_at:%Y-%m-%d}" if token.last_used_at else "never"
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            print(f"{token.id:>4}  {token.label}  ({scope}; last used {used}; {state})")
    return 0


def run_revoke(args: argparse.Namespace, context: Context) -> int:
    """Revoke one token."""
    require_schema(context)
    with context.sessions.begin() as session:
        try:
            token = revoke_token(session, args.id)
        except AccessError as error:
            raise CliError(str(error)) from None
        print(f"Token {token.id} ({token.label}) is revoked; requests with it are refused.")
    return 0
