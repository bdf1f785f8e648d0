"""`somed verify PATH`: re-check a bundle (folder or ZIP, FGS or BagIt) by its own manifests.

Needs no archive and no config (a config, when there is one, only chooses the language).
Exit 0 with one summary line when nothing is wrong; exit 1 with one line per missing, extra,
altered or unreadable file and then a summary; exit 2 with one line when PATH is no bundle.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from somed.bundle.verify import Problem, VerifyReport
from somed.cli_errors import OneLineCommand
from somed.i18n import Translator

FORMAT_NAMES = {"bagit": "BagIt", "fgs": "FGS"}


@click.command("verify", cls=OneLineCommand)
@click.argument("path", metavar="PATH", type=click.Path(path_type=Path))
@click.pass_obj
def verify_command(state: Any, path: Path) -> None:
    """Check a bundle's files against its own manifests (folder or ZIP, FGS or BagIt)."""
    from somed.bundle.verify import NotABundle, verify_package
    from somed.cli import fail_usage

    t = _translator(state)
    try:
        report = verify_package(path)
    except NotABundle as exc:
        fail_usage(t(f"verify.{exc.reason}", path=str(path)))
        return
    for problem in report.problems:
        click.echo(problem_line(t, problem))
    click.echo(summary_line(t, report))
    sys.exit(1 if report.problems else 0)


def problem_line(t: Translator, problem: Problem) -> str:
    """One line naming the problem's kind, file and why."""
    kind = t(f"verify.kind.{problem.kind}")
    if not problem.reason:
        return t("verify.problem", kind=kind, path=problem.path)
    why = t(f"verify.reason.{problem.reason}", detail=problem.detail)
    return t("verify.problem.why", kind=kind, path=problem.path, why=why)


def summary_line(t: Translator, report: VerifyReport) -> str:
    """The last line: OK with files and bytes checked, or how many problems."""
    name = FORMAT_NAMES.get(report.format, report.format)
    values = {"format": name, "package_id": report.package_id}
    if report.problems:
        return t.n("verify.failed", len(report.problems), checked=report.checked, **values)
    return t.n("verify.ok", report.checked, bytes=report.bytes, **values)


def _translator(state: Any) -> Translator:
    """`--lang`, else the config's `[ui] language` when a config can be read, else Swedish."""
    from somed.config import ConfigError, default_config_path, load_config

    if state is None or state.lang is not None:
        return Translator(state.lang if state else None)
    path = state.config_path or default_config_path(None)
    try:
        return Translator(load_config(path).ui.language if path.is_file() else None)
    except (ConfigError, OSError):
        return Translator(None)
