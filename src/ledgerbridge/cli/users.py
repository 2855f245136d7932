"""Dashboard users: add them with a role, list them, give them API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import DbOption, console, fail
from ledgerbridge.store import make_engine, upgrade
from ledgerbridge.web.users import Role, UserError, add_user, create_token, list_users

__all__ = ["users_app"]

users_app = typer.Typer(help="Dashboard users and API tokens.", no_args_is_help=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="viewer reads; accountant also decides; "
                                       "admin also manages.")] = Role.VIEWER,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input "
        "instead of prompting.")] = False,
    db: DbOption = None,
) -> None:
    """Add a dashboard user; the password is stored as an argon2 hash."""
    engine = make_engine(db)
    upgrade(engine)
    try:
        user = add_user(engine, name, _password(password_stdin), role)
    except UserError as exc:
        raise fail(str(exc)) from None
    console.print(f"Added {user.name} ({user.role.value})")


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """Every active user and their role."""
    table = Table("name", "role")
    with make_engine(db).connect() as conn:
        for user in list_users(conn):
            table.add_row(user.name, user.role.value)
    console.print(table)


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    db: DbOption = None,
) -> None:
    """Make an API token (for ``Authorization: Bearer``); it is shown only this once."""
    try:
        token = create_token(make_engine(db), name, label)
    except UserError as exc:
        raise fail(str(exc)) from None
    print(token)
