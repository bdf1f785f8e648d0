"""The per-account summary table an archive pass prints (`somed archive`, `somed demo`)."""

from __future__ import annotations

from collections.abc import Sequence

import click

from somed.config import Config
from somed.display import render_table, token_place
from somed.i18n import Translator
from somed.reasons import PARTIAL, partial_streams, rejected_token, render, stream_name
from somed.runner import RunOutcome


def outcome_note(config: Config, t: Translator, outcome: RunOutcome) -> str:
    """A plain-words note for a run outcome, in `t`'s language, from its reason code."""
    code, params = outcome.reason, outcome.reason_params
    if outcome.status == "auth_failed":
        return t(
            "note.auth_failed",
            reason=rejected_token(t, code, params, platform=outcome.platform),
            where=token_place(config.account(outcome.account)),
        )
    if outcome.status == "busy":
        return t("note.busy")
    if outcome.status == "closed":
        return t("note.closed")
    named = partial_streams(params) if code == PARTIAL else set()  # explained with their reason
    notes = []
    for stream, state in outcome.streams.items():
        if state != "permission_denied" or stream in named:
            continue
        why = outcome.stream_reasons.get(stream) or {}
        text = render(t, why.get("reason"), why.get("params"), platform=outcome.platform)
        name = stream_name(t, stream)
        notes.append(
            t("note.permission_short", stream=name, reason=text)
            if text
            else t("note.no_permission", stream=name)
        )
    if code or outcome.message:
        notes.append(render(t, code, params, platform=outcome.platform, detail=outcome.message))
    return "; ".join(notes)


def print_outcomes(config: Config, t: Translator, outcomes: Sequence[RunOutcome]) -> None:
    """The per-account summary table of an archive pass."""
    headers = [
        t("col.account"),
        t("col.platform"),
        t("col.status"),
        t("col.new"),
        t("col.changed"),
        t("col.deleted"),
        t("col.requests"),
        t("col.duration"),
        t("col.note"),
    ]
    rows = [
        [
            o.account,
            o.platform,
            t(f"status.{o.status}"),
            o.new,
            o.changed,
            o.deleted,
            o.requests,
            f"{o.duration:.1f}s",
            outcome_note(config, t, o),
        ]
        for o in outcomes
    ]
    click.echo(render_table(headers, rows))
    failed = [o for o in outcomes if o.failed]
    click.echo()
    click.echo(
        t.n("summary.failed", len(outcomes), failed=len(failed))
        if failed
        else t.n("summary.ok", len(outcomes))
    )
