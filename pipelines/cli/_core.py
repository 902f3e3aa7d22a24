"""The `gcrisk` application, its error handling and the helpers its commands share.

Nothing heavy is imported at module level (Prefect, Great Expectations, MLflow, pandas load
inside the commands), so `gcrisk --help` answers at once. `main()` turns every user mistake into
one `error: ...` line on stderr and exit status 2; anything unexpected is one line and status 1
(set GCRISK_DEBUG=1 to see the traceback).
"""

from __future__ import annotations

import datetime
import enum
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

# Typer 0.29 vendors Click: its usage errors are these classes, not the `click` package's.
from typer._click import exceptions as click_errors

from pipelines.settings import configure_offline_environment

USAGE_ERROR = 2
INTERNAL_ERROR = 1
#: `gcrisk monitor --fail-on-alert` exit status when a threshold is crossed.
ALERT_EXIT = 3
DATE_FORMATS = ["%Y-%m-%d"]

app = typer.Typer(
    name="gcrisk",
    help="Find likely illegal waste, ODS and wildlife shipments among customs declarations.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class UserError(Exception):
    """A mistake the user can fix; shown as one `error:` line."""


class TableKind(enum.StrEnum):
    """The received tables gcrisk validates and ingests."""

    declarations = "declarations"
    inspections = "inspections"
    permits = "permits"


Today = Annotated[
    datetime.datetime | None,
    typer.Option(
        formats=DATE_FORMATS, help="Dates after this day count as future (default: today)"
    ),
]


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step")] = False,
) -> None:
    """Green Customs risk pipeline (outputs under $GCRISK_HOME, default ./gcrisk-home)."""
    for handler in logging.getLogger("gcrisk").handlers:
        if isinstance(handler, _StderrHandler):
            handler.setLevel(logging.INFO if verbose else logging.WARNING)


def as_day(value: datetime.datetime | None) -> datetime.date | None:
    """The day of a `--today`/`--until` option (Typer parses dates as datetimes)."""
    return value.date() if value is not None else None


def print_counts(summary: dict[str, Any]) -> None:
    """Rows in, valid and quarantined, the quarantine reasons and extra columns of a table."""
    typer.echo(
        f"{Path(summary['file']).name} ({summary['kind']}): {summary['rows_in']:,} rows in, "
        f"{summary['rows_valid']:,} valid, {summary['rows_quarantined']:,} quarantined"
    )
    for reason, count in sorted(summary["reasons"].items(), key=lambda item: -item[1]):
        typer.echo(f"  {count:>9,}  {reason}")
    if summary["extra_columns"]:
        typer.echo(f"  extra columns kept and reported: {', '.join(summary['extra_columns'])}")


class _StatusHandler(logging.Handler):
    """Shows the latest step log line in the progress spinner."""

    def __init__(self, update: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.update = update

    def emit(self, record: logging.LogRecord) -> None:
        self.update(record.getMessage())


@contextmanager
def progress(label: str) -> Iterator[None]:
    """A spinner on stderr while a long step runs (only on a terminal; silent in pipes)."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    logger = logging.getLogger("gcrisk")
    with console.status(label) as status:
        handler = _StatusHandler(lambda message: status.update(f"{label}: {message}"))
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    sys.stderr.write(f"error: {_one_line(message).replace('Value error, ', '')}\n")
    sys.exit(code)


def _validation_message(error: Any) -> str:
    """First problem of a pydantic ValidationError as `field: message`."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", error)).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _describe(error: Exception) -> tuple[str, int]:
    """The one-line message and exit status for an error raised by a command."""
    import pydantic

    from data_contracts.coercion import TableError
    from models.rules import ProfileError
    from pipelines.storage.warehouse import WarehouseError

    if isinstance(error, pydantic.ValidationError):
        return _validation_message(error), USAGE_ERROR
    # OSError: unwritable --out, a full disk, a path that is a file: the environment, not code.
    if isinstance(error, UserError | TableError | WarehouseError | ProfileError | OSError):
        return str(error), USAGE_ERROR
    if os.environ.get("GCRISK_DEBUG"):
        traceback.print_exc()
    message = f"unexpected {type(error).__name__}: {error} (GCRISK_DEBUG=1 shows the traceback)"
    return message, INTERNAL_ERROR


class _StderrHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time (so captured output sees it)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def _setup_logging() -> None:
    logger = logging.getLogger("gcrisk")
    if not any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        handler = _StderrHandler(logging.WARNING)  # -v lowers it to INFO
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    # Steps log at INFO: the spinner shows them; stderr only with -v.
    logger.setLevel(logging.INFO)
    logger.propagate = False


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the `gcrisk` script."""
    try:
        settings = configure_offline_environment()
        settings.prefect_home.mkdir(parents=True, exist_ok=True)
    except ValueError as error:  # a GCRISK_ variable that does not parse
        _fail(f"bad GCRISK_ setting: {_validation_message(error)}")
    except OSError as error:
        _fail(f"cannot use GCRISK_HOME: {error}")
    _setup_logging()
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="gcrisk", standalone_mode=False)
    except click_errors.NoArgsIsHelpError as error:
        typer.echo(error.ctx.get_help() if error.ctx else error.format_message())
        sys.exit(0)
    except click_errors.UsageError as error:
        _fail(error.format_message())
    except typer.Abort:
        _fail("aborted", 130)
    except click_errors.ClickException as error:
        _fail(error.format_message(), error.exit_code)
    except Exception as error:
        _fail(*_describe(error))
    sys.exit(code if isinstance(code, int) else 0)
