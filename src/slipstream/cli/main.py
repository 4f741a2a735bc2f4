"""`slipstream`: the command line entry point. Commands import what they need when they run."""

from __future__ import annotations

import click

from slipstream import __version__
from slipstream.cli.api_server_cmd import api_server
from slipstream.cli.config_cmd import config_group
from slipstream.cli.connections_cmd import connections_group
from slipstream.cli.dag_processor_cmd import dag_processor
from slipstream.cli.dags import dags
from slipstream.cli.db_cmd import db_group
from slipstream.cli.pools_cmd import pools_group
from slipstream.cli.scheduler_cmd import scheduler
from slipstream.cli.standalone_cmd import standalone
from slipstream.cli.tasks import tasks
from slipstream.cli.users_cmd import users_group
from slipstream.cli.variables_cmd import variables_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="slipstream")
def cli() -> None:
    """Slipstream: author, run and operate workflows written as Airflow 3 DAG files."""


@cli.command()
def version() -> None:
    """Print the version."""
    click.echo(__version__)


cli.add_command(dags)
cli.add_command(tasks)
cli.add_command(config_group)
cli.add_command(db_group)
cli.add_command(variables_group)
cli.add_command(connections_group)
cli.add_command(pools_group)
cli.add_command(dag_processor)
cli.add_command(scheduler)
cli.add_command(standalone)
cli.add_command(api_server)
cli.add_command(users_group)


def main() -> None:
    cli(prog_name="slipstream")


if __name__ == "__main__":
    main()
