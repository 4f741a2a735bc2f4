"""`slipstream config list | get-value`: the configuration in force and where it comes from."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from slipstream.config import Config


@click.group(name="config")
def config_group() -> None:
    """Show the configuration."""


@config_group.command("list")
@click.option("--section", "-s", default=None, help="Only this section.")
@click.option(
    "--output",
    "-o",
    type=click.Choice(["table", "json", "plain"]),
    default="table",
    show_default=True,
    help="Output format; json is {section: {key: value}}.",
)
@click.option("--show-sensitive", is_flag=True, help="Show secrets instead of masking them.")
def list_config(section: str | None, output: str, show_sensitive: bool) -> None:
    """List every setting with its value and source (default, file or env)."""
    config = _load()
    if section is not None and section.lower() not in config.sections():
        raise click.ClickException(
            f"There is no section [{section}]. Sections: {', '.join(config.sections())}"
        )
    rows = [
        {
            "section": found.section,
            "key": found.key,
            "value": config.display_value(found, show_sensitive),
            "source": f"env: {found.origin}" if found.source == "env" else found.source,
        }
        for found in config.settings(section)
    ]
    if output == "json":
        tree: dict[str, dict[str, str]] = {}
        for row in rows:
            tree.setdefault(row["section"], {})[row["key"]] = row["value"]
        click.echo(json.dumps(tree, indent=2))
        return
    from slipstream.cli.output import print_rows

    print_rows(rows, ["section", "key", "value", "source"], output)


@config_group.command("get-value")
@click.argument("section")
@click.argument("key")
def get_value(section: str, key: str) -> None:
    """Print the value of one setting."""
    from slipstream.core.exceptions import AirflowConfigException

    config = _load()
    try:
        click.echo(config.get(section, key))
    except AirflowConfigException as err:
        raise click.ClickException(str(err)) from None


def _load() -> Config:
    from slipstream.config import load_config
    from slipstream.core.exceptions import AirflowConfigException

    try:
        return load_config()
    except AirflowConfigException as err:
        raise click.ClickException(str(err)) from None
