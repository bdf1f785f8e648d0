"""One-line usage errors for the command line, in the reader's language.

Click prints a usage error as three lines (usage, hint, "Error: ..."). `OneLineErrorGroup` is
the `somed` group's class: every usage error (unknown option or command, bad or missing value)
becomes one line `somed: error: ...` on stderr with exit code 2, every other click error one
line with its own exit code. The words are ours, from the catalogues (`usage.*`), in the
language of `--lang`, else `$SOMED_LANG`, else Swedish (the config is not read for a usage
error). Where click's own detail is the only explanation (e.g. "'x' is not a valid integer"), it
is quoted as it is.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from somed.i18n import LANGUAGES, Translator

EXIT_USAGE = 2
PROG = "somed"


class UnknownCommand(click.UsageError):
    """A verb somed does not have."""

    def __init__(self, name: str, ctx: click.Context) -> None:
        super().__init__(f"No such command {name!r}.", ctx)
        self.name = name


class ExtraArguments(click.UsageError):
    """Arguments a verb does not take."""

    def __init__(self, extra: Sequence[str], ctx: click.Context) -> None:
        super().__init__(f"Got unexpected extra arguments ({' '.join(extra)})", ctx)
        self.extra = list(extra)


class OneLineCommand(click.Command):
    """A verb that reports arguments it does not take as `ExtraArguments`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse as click does, but name the extra arguments in a typed error."""
        allowed = ctx.allow_extra_args
        ctx.allow_extra_args = True
        try:
            rest = super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = exc.ctx or ctx  # click's parser raises some without the verb's context
            raise
        finally:
            ctx.allow_extra_args = allowed
        if ctx.args and not allowed and not ctx.resilient_parsing:
            raise ExtraArguments(ctx.args, ctx)
        return rest


class OneLineErrorGroup(click.Group):
    """A click group whose errors are one line `somed: error: ...` (usage errors: exit 2)."""

    command_class = OneLineCommand

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse the group's own options; an error names the group's context."""
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = exc.ctx or ctx
            raise

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve a verb, raising `UnknownCommand` for one that does not exist."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            raise UnknownCommand(name, ctx)
        return super().resolve_command(ctx, args)

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        """Run the command line; exit with one error line instead of click's usage block."""
        argv = list(sys.argv[1:] if args is None else args)
        extra.pop("standalone_mode", None)
        try:
            result = super().main(argv, prog_name or PROG, standalone_mode=False, **extra)
        except click.UsageError as exc:
            fail(usage_message(exc, translator(argv)), EXIT_USAGE)
        except click.ClickException as exc:
            fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            fail(translator(argv)("usage.aborted"), 1)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            _silence_stdout()  # the reader went away (`| head`): nothing more to say
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `somed: error: MESSAGE` (one line) on stderr and exit with `code`."""
    click.echo(f"{PROG}: error: {' '.join(message.split())}", err=True)
    sys.exit(code)


def current_translator() -> Translator:
    """The running verb's translator (its `--lang` or the config's language), else the default."""
    ctx = click.get_current_context(silent=True)
    state = ctx.find_root().obj if ctx is not None else None
    make = getattr(state, "t", None)
    return make() if callable(make) else translator(sys.argv[1:])


def translator(argv: Sequence[str]) -> Translator:
    """The language a usage error is told in: `--lang`, else `$SOMED_LANG`, else Swedish."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        value = None
        if arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value in LANGUAGES:
            return Translator(value)
    return Translator(os.environ.get("SOMED_LANG"))


def usage_message(exc: click.UsageError, t: Translator) -> str:
    """A usage error in plain words, ending with where to read more."""
    ctx = exc.ctx
    if isinstance(exc, UnknownCommand):
        group = ctx.command if ctx else None
        names = sorted(group.list_commands(ctx)) if isinstance(group, click.Group) and ctx else []
        text = t("usage.no_such_command", command=exc.name, commands=", ".join(names))
    elif isinstance(exc, click.NoSuchOption):
        text = t("usage.no_such_option", option=exc.option_name)
        if exc.possibilities:
            text += " " + t("usage.did_you_mean", options=", ".join(sorted(exc.possibilities)))
    elif isinstance(exc, click.MissingParameter):
        hint = _hint(exc, ctx)
        kind = "argument" if isinstance(exc.param, click.Argument) else "option"
        text = t(f"usage.missing_{kind}", param=hint)
    elif isinstance(exc, click.BadParameter):
        text = _bad_value(exc, ctx, t)
    elif isinstance(exc, ExtraArguments):
        text = t.n("usage.extra_arguments", len(exc.extra), args=" ".join(exc.extra))
    elif isinstance(exc, click.BadOptionUsage):
        option = _option(ctx, exc.option_name)
        flag = option is not None and option.is_flag
        key = "usage.option_takes_no_value" if flag else "usage.option_needs_value"
        text = t(key, option=exc.option_name)
    else:
        text = t("usage.other", detail=exc.format_message())
    path = ctx.command_path if ctx else PROG
    return f"{text} ({t('usage.help_hint', command=path)})"


def _bad_value(exc: click.BadParameter, ctx: click.Context | None, t: Translator) -> str:
    """A value of the wrong kind: say what kind is wanted, in our words where we can."""
    kind = exc.param.type if exc.param is not None else None
    hint = _hint(exc, ctx)
    if isinstance(kind, click.Choice):
        return t("usage.bad_choice", param=hint, choices=", ".join(str(c) for c in kind.choices))
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        describe = getattr(kind, "_describe_range", None)  # ranges: "x>=0"
        limits = describe() if callable(describe) else ""
        key = (
            "usage.bad_integer"
            if isinstance(kind, click.types.IntParamType)
            else "usage.bad_number"
        )
        return t(key, param=hint) + (f" ({limits})" if limits else "")
    return t("usage.bad_value", param=hint, detail=exc.message)


def _option(ctx: click.Context | None, name: str) -> click.Option | None:
    """The option of the failing command that is written `name` on the command line."""
    params = ctx.command.params if ctx is not None else []
    for param in params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def _hint(exc: click.BadParameter, ctx: click.Context | None) -> str:
    """How the parameter is written on the command line (`--since`, `KEY`)."""
    if exc.param_hint is not None:
        hint = exc.param_hint
        return " / ".join(hint) if isinstance(hint, list | tuple) else str(hint)
    if exc.param is not None and ctx is not None:
        return exc.param.get_error_hint(ctx)
    return "?"


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
