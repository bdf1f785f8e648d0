"""The bundles page: make a bundle (FGS or BagIt, as a ZIP) of an account or of every account for a
period, follow it while it is built in the background, download it, see its verification.

The form asks what `somed bundle` asks (`--account`/`--all-accounts`, `--from`, `--to`,
`--format`); the job is queued in `bundle_jobs` and built by the web service's worker
(`somed/web/bundle_jobs.py`) with the CLI's builder, then checked as `somed verify` checks it.
A finished bundle is downloaded by its job's numeric id only, streamed, and the download is
audit-logged (`download.bundle`), as is every request (`bundle_requested`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.responses import FileResponse, Response

from connectors.model import utc_iso
from somed.bundle.model import FORMATS
from somed.bundle.verify import Problem, VerifyReport
from somed.cli_verify import problem_line, summary_line
from somed.config import ConfigError
from somed.web.bundle_jobs import BundleWorker, worker_for
from somed.web.context import Context
from somed.web.pages.account import number
from somed.web.routing import MenuItem, Pages
from somed.when import parse_moment
from storage import audit, bundle_jobs
from storage.db import transaction
from storage.register import register_rows

PAGES = Pages(menu=[MenuItem(50, "/bundles", "web.nav.bundles", "registrar")])
ALL = "all"
JOBS_SHOWN = 50


def account_keys(ctx: Context) -> list[str]:
    """The accounts a bundle can be made of: the config's, then those only in the register."""
    keys = [a.key for a in ctx.config.accounts]
    return keys + sorted(set(register_rows(ctx.db)) - set(keys))


def organisation_problem(ctx: Context) -> str | None:
    """Why no bundle can be made (no `[organisation]`), or None."""
    try:
        ctx.config.organisation_required()
    except ConfigError as exc:
        return str(exc)
    return None


def progress_text(ctx: Context, job: bundle_jobs.BundleJob) -> str:
    """A running job's progress in words: the phase, and how far it is when known."""
    if not job.progress:
        return ""
    found = json.loads(job.progress)
    phase = str(found.get("phase") or "")
    if phase == "verify":
        return ctx.t("web.bundles.phase.verify")
    name = ctx.t(f"bundle.phase.{phase}")
    done, total = int(found.get("done") or 0), found.get("total")
    if total:
        return ctx.t("web.bundles.progress.share", phase=name, mb=f"{done / 1e6:.0f}",
                     total=f"{total / 1e6:.0f}", percent=100 * done // int(total))  # fmt: skip
    return ctx.t("web.bundles.progress.bytes", phase=name, mb=f"{done / 1e6:.0f}")


def verify_text(ctx: Context, job: bundle_jobs.BundleJob) -> tuple[str, list[str]]:
    """The verification's summary and problem lines, worded as `somed verify` words them."""
    found = job.verify or {}
    problems = [Problem(**p) for p in found.get("problems") or []]
    report = VerifyReport(
        str(found.get("format") or job.format), str(found.get("package_id") or ""),
        int(found.get("checked") or 0), problems, int(found.get("bytes") or 0),
    )  # fmt: skip
    count = int(found.get("problem_count") or len(problems))
    if count > len(problems):  # only the first problems are kept: the summary counts them all
        report.problems = problems + [problems[-1]] * (count - len(problems))
    return summary_line(ctx.t, report), [problem_line(ctx.t, p) for p in problems]


def shown_job(ctx: Context, job: bundle_jobs.BundleJob) -> dict[str, Any]:
    """A job as the list shows it."""
    summary, problems = verify_text(ctx, job) if job.state == "done" else ("", [])
    return {
        "job": job, "accounts": ", ".join(job.accounts) or ctx.t("web.bundles.all_accounts"),
        "progress": progress_text(ctx, job) if job.state == "running" else "",
        "verify": summary, "problems": problems,
        "error": ctx.t("bundle.failed", why=job.error) if job.error else "",
        "mb": number(ctx, (job.size or 0) / 1e6),
    }  # fmt: skip


def bundle_worker(ctx: Context) -> BundleWorker | None:
    """This process's bundle worker (started on first use); None in a `somed web` worker
    process, whose jobs the supervising process's worker finds in the queue."""
    return worker_for(ctx.config) if ctx.request.app.state.run_bundles else None


def page(ctx: Context, *, status: int = 200, error: str = "", form: dict[str, str] | None = None
         ) -> Response:  # fmt: skip
    """The form and the list of bundles."""
    problem = organisation_problem(ctx)
    if problem is None:
        bundle_worker(ctx)  # after a restart: fail what a dead process left, take up the queue
    jobs = [shown_job(ctx, job) for job in bundle_jobs.list_jobs(ctx.db, limit=JOBS_SHOWN)]
    return ctx.render(
        "bundles.html.j2", status=status, title=ctx.t("web.bundles.title"), jobs=jobs,
        keys=account_keys(ctx), formats=FORMATS, organisation_problem=problem, error=error,
        form=form or {"account": ctx.query("account") or ALL, "since": "", "until": "",
                      "format": "fgs"},
        pending=any(not j["job"].finished for j in jobs), made=ctx.query("job"),
    )  # fmt: skip


@PAGES.get("/bundles", role="registrar")
def bundles(ctx: Context) -> Response:
    """The bundles page."""
    return page(ctx)


@PAGES.post("/bundles", role="registrar")
def make_bundle(ctx: Context) -> Response:
    """Queue a bundle job from the form (and audit-log the request)."""
    form = {name: ctx.field(name).strip() for name in ("account", "since", "until", "format")}
    if organisation_problem(ctx) is not None:
        return page(ctx, status=400, form=form)
    account, fmt = form["account"] or ALL, form["format"]
    if account != ALL and account not in account_keys(ctx):
        return page(ctx, status=400, error=ctx.t("web.bundles.bad_account"), form=form)
    if fmt not in FORMATS:
        return page(ctx, status=400, error=ctx.t("web.bundles.bad_format"), form=form)
    try:
        since = parse_moment(form["since"]) if form["since"] else None
        until = parse_moment(form["until"]) if form["until"] else None
    except ValueError:
        return page(ctx, status=400, error=ctx.t("web.bundles.bad_date"), form=form)
    if since is not None and until is not None and since >= until:
        return page(ctx, status=400, error=ctx.t("web.bundles.from_after_to"), form=form)
    accounts = [] if account == ALL else [account]
    at = ctx.now
    with ctx.archive.writer() as db, transaction(db):
        job_id = bundle_jobs.add_job(db, accounts, since=since, until=until, fmt=fmt,
                                     requested_by=ctx.actor, clock=lambda: at)  # fmt: skip
        details = {"job": job_id, "accounts": accounts, "from": utc_iso(since),
                   "to": utc_iso(until), "format": fmt}  # fmt: skip
        audit.append(db, [audit.audit_row(utc_iso(at) or "", ctx.actor, "bundle_requested",
                                          f"bundle:{job_id}", None, details)])  # fmt: skip
    worker = bundle_worker(ctx)
    if worker is not None:
        worker.submit(job_id)
    return ctx.redirect(ctx.url("/bundles", job=str(job_id)))  # no #fragment: see account.py


@PAGES.get("/bundles/{job_id:int}/download", role="registrar")
def download_bundle(ctx: Context) -> Response:
    """A finished bundle as a download (by its job's numeric id), audit-logged."""
    job = bundle_jobs.get_job(ctx.db, int(ctx.param("job_id")))
    if job is None or job.state != "done" or not job.path:
        return ctx.problem(404, "web.error.not_found")
    storage = Path(ctx.config.storage_dir).resolve()
    path = (storage / job.path).resolve()
    if not path.is_relative_to(storage) or not path.is_file():
        return ctx.problem(404, "web.error.not_found")
    ctx.audit("download.bundle", f"bundle:{job.id}", None,
              {"package_id": job.package_id, "sha256": job.sha256, "size": job.size})  # fmt: skip
    return FileResponse(path, media_type="application/zip", filename=path.name,
                        content_disposition_type="attachment")  # fmt: skip
