"""`slipstream users create | list | delete | reset-password`: who may log in to the API and UI.

Options follow Airflow's `airflow users` commands. Passwords are hashed (Argon2id) before they
reach the database and are never printed, except a generated one (`--use-random-password`),
shown once. Each change is recorded in the audit log, owner the OS user, without the password.
"""

from __future__ import annotations

from typing import Any

import click

from slipstream.cli.db_cmd import audit, open_cli_database, store_errors
from slipstream.cli.output import OUTPUT_OPTION, print_rows

ROLES = ("admin", "op", "user", "viewer")  # slipstream.db.store.users.ROLES, without its imports
COLUMNS = ["username", "role", "email", "first_name", "last_name", "active", "last_login"]
NEEDS_MIGRATED = "\n\nNeeds a migrated database: run `slipstream db migrate` first."

USERNAME_OPTION = click.option("--username", "-u", required=True, help="The user's login name.")
PASSWORD_OPTION = click.option(
    "--password",
    "-p",
    default=None,
    help="The password (asked for, with confirmation, when neither this nor "
    "--use-random-password is given).",
)
RANDOM_PASSWORD_OPTION = click.option(
    "--use-random-password",
    is_flag=True,
    help="Generate a random password and print it once.",
)


@click.group(name="users")
def users_group() -> None:
    """Manage the users who log in to the API and UI, and their roles."""


@users_group.command("create", epilog=NEEDS_MIGRATED)
@USERNAME_OPTION
@click.option(
    "--role",
    "-r",
    required=True,
    type=click.Choice(ROLES, case_sensitive=False),
    help="What the user may do: admin, op, user or viewer (see docs/api.md).",
)
@click.option("--email", "-e", default=None, help="The user's email address.")
@click.option("--firstname", "-f", default=None, help="The user's first name.")
@click.option("--lastname", "-l", default=None, help="The user's last name.")
@PASSWORD_OPTION
@RANDOM_PASSWORD_OPTION
def create_user(
    username: str,
    role: str,
    email: str | None,
    firstname: str | None,
    lastname: str | None,
    password: str | None,
    use_random_password: bool,
) -> None:
    """Create a user who logs in with a password. Exit code 1 if the username is taken."""
    from slipstream.api.auth.passwords import hash_password
    from slipstream.db.store import users

    password, generated = _new_password(password, use_random_password)
    _, db = open_cli_database()
    with store_errors(), db.begin() as session:
        entry = users.create_user(
            session,
            username,
            role=role,
            password_hash=hash_password(password),
            email=email,
            first_name=firstname,
            last_name=lastname,
        )
        audit(session, "cli_users_create", extra={"username": username, "role": entry.role})
    db.dispose()
    click.echo(f"User {username} created with role {entry.role}")
    if generated:
        click.echo(f"Password: {password}")


@users_group.command("list", epilog=NEEDS_MIGRATED)
@OUTPUT_OPTION
def list_users(output: str) -> None:
    """List users and their roles (never their passwords)."""
    from slipstream.db.store import users

    _, db = open_cli_database()
    with store_errors(), db.session() as session:
        rows = [_row(entry) for entry in users.list_users(session)]
    db.dispose()
    if not rows and output == "table":
        click.echo("No data found")
        return
    print_rows(rows, COLUMNS, output)


@users_group.command("delete", epilog=NEEDS_MIGRATED)
@USERNAME_OPTION
def delete_user(username: str) -> None:
    """Delete a user. Exit code 1 if there is no such user."""
    from slipstream.db.store import users

    _, db = open_cli_database()
    with store_errors(), db.begin() as session:
        users.delete_user(session, username)
        audit(session, "cli_users_delete", extra={"username": username})
    db.dispose()
    click.echo(f"User {username} deleted")


@users_group.command("reset-password", epilog=NEEDS_MIGRATED)
@USERNAME_OPTION
@PASSWORD_OPTION
@RANDOM_PASSWORD_OPTION
def reset_password(username: str, password: str | None, use_random_password: bool) -> None:
    """Give a user a new password. Exit code 1 if there is no such user.

    Tokens issued before stay valid until they expire (`[api_auth] jwt_expiration_time`).
    """
    from slipstream.api.auth.passwords import hash_password
    from slipstream.db.store import users

    _, db = open_cli_database()
    with store_errors(), db.session() as session:
        if users.get_user(session, username) is None:  # fail before asking for a password
            raise click.ClickException(f"User {username!r} not found")
    password, generated = _new_password(password, use_random_password)
    with store_errors(), db.begin() as session:
        users.set_password_hash(session, username, hash_password(password))
        audit(session, "cli_users_reset_password", extra={"username": username})
    db.dispose()
    click.echo(f"Password of user {username} reset")
    if generated:
        click.echo(f"Password: {password}")


def _new_password(given: str | None, random: bool) -> tuple[str, bool]:
    """The password to set, and whether it was generated (and so must be shown)."""
    from slipstream.api.auth.passwords import check_new_password, generate_password

    if random and given is not None:
        raise click.UsageError("Give either --password or --use-random-password, not both")
    if random:
        return generate_password(), True
    if given is None:
        given = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_new_password(given)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    return given, False


def _row(entry: Any) -> dict[str, Any]:
    row: dict[str, Any] = entry.to_dict()
    for key in ("created_at", "last_login"):
        if row[key] is not None:
            row[key] = row[key].isoformat()
    return row
