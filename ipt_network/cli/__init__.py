"""The ``ipt-network`` command line.

Commands are imported only when run, so ``ipt-network --help`` is fast and a
command whose optional dependency is missing says which one to install.
Each command lives in a module of this package; :data:`COMMANDS` maps the
command name to ``"module:function"``.

Examples
--------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(main, ["--help"])
>>> "import" in result.output and result.exit_code == 0
True
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from ipt_network.cli._common import errors_as_messages

__all__ = ["main", "COMMANDS"]

#: Command name -> "module:attribute" inside ``ipt_network.cli``.
COMMANDS: dict[str, str] = {
    "init": "inventory:init_cmd",
    "settings": "inventory:settings_cmd",
    "import": "inventory:import_cmd",
    "import-nc": "inventory:import_nc_cmd",
    "export": "inventory:export_cmd",
    "synth": "inventory:synth_cmd",
    "clients": "inventory:clients_cmd",
    "show": "inventory:show_cmd",
    "metrics": "analysis:metrics_cmd",
    "changes": "analysis:changes_cmd",
    "model": "analysis:model_cmd",
    "timeline": "clinical:timeline_cmd",
    "problem-areas": "clinical:problem_areas_cmd",
    "focus": "clinical:focus_cmd",
    "work": "clinical:work_cmd",
    "stage": "clinical:stage_cmd",
    "contract": "clinical:contract_cmd",
    "ending": "clinical:ending_cmd",
    "goal": "clinical:goal_cmd",
    "area-work": "clinical:area_work_cmd",
    "report": "clinical:report_cmd",
    "demo": "dashboard:demo_cmd",
    "serve": "dashboard:serve_cmd",
    "backup": "backup:backup_cmd",
    "restore": "backup:restore_cmd",
    "users": "practice:users_cmd",
    "audit": "practice:audit_cmd",
}


class _LazyGroup(click.Group):
    """A click group that imports a command's module only when it is used.

    Every ipt-network error that reaches it, from any command, and every
    file-system error on a path the user gave, is shown as one sentence and a
    non-zero exit, never a traceback.
    """

    def invoke(self, ctx: click.Context) -> Any:
        with errors_as_messages():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(f"ipt_network.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("ipt_network"):
                return None  # command not built yet
            raise click.ClickException(
                f"'{cmd_name}' needs the package {exc.name!r}: pip install 'ipt-network[all]'"
            ) from exc
        command: Any = getattr(module, attr, None)
        return command if isinstance(command, click.Command) else None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ipt-network")
def main() -> None:
    """ipt-network: the interpersonal inventory of IPT, session by session.

    Store each client's important people (ring, conflict, support) at every
    session, see how the network changes as the depression lifts, and study
    whole cohorts. Start with `ipt-network demo` to look around the sample
    clients, or `ipt-network init` then `ipt-network import FOLDER` for your own.

    For research: `import-nc` reads Network Canvas exports, `export --format`
    writes GraphML, egor tables or a Parquet dataset (`--deidentify` for a HIPAA
    Safe Harbor export), `metrics` the network metric table, and `model` fits
    mixed-effects models of PHQ-9 and the network.

    Every command accepts --help. The store defaults to a file in your user
    data folder; set --db (or the IPT_NETWORK_DB variable) to use another.
    """
