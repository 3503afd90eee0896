"""A query refused by strict mode names what turned it on: ``--strict``, or a script's
``\\strict on`` (piped into ``coqlkit``, or ``query -f``), where no ``--strict`` was given.
The refusal fails the statement: it is an error line, with the script's position."""

from __future__ import annotations

from collections.abc import Callable

from coqlkit.cli._query import SCRIPT_STRICT_REFUSAL, STRICT_REFUSAL, error_line
from coqlkit.repl.shell import Where
from tests.cli.conftest import Ran

WARNED = "select Last_Name from Leads where Lead_Status = 'Contactd' limit 1;\n"


def test_a_script_that_turned_strict_on_names_backslash_strict(cli: Callable[..., Ran], zoho: None) -> None:
    ran = cli(stdin="\\strict on\n" + WARNED)
    assert ran.status == 1 and ran.out == "", ran
    lines = ran.err.splitlines()
    assert lines[0] == "strict on: queries with warnings are refused"
    assert lines[1].startswith("<stdin>:2:49: warning[INVALID_QUERY]: 'Contactd' is not a value")
    assert lines[-1] == (
        "coqlkit: error: <stdin>:2: not run: \\strict refuses a query with warnings (\\strict off runs it)"
    )
    assert lines[-1] == error_line(SCRIPT_STRICT_REFUSAL, Where("", 2, 1, "<stdin>"))
    assert "--strict" not in ran.err


def test_the_option_is_named_when_it_was_given(cli: Callable[..., Ran], zoho: None) -> None:
    ran = cli("query", "--strict", "-c", WARNED)
    assert ran.status == 1 and ran.err.splitlines()[-1] == error_line(STRICT_REFUSAL), ran
    assert error_line(STRICT_REFUSAL) == (
        "coqlkit: error: not run: --strict refuses a query with warnings (run without --strict to run it)"
    )
    # \strict on when --strict already had it on: the option is still what turned it on.
    ran = cli("query", "--strict", "-f", "-", stdin="\\strict on\n" + WARNED)
    assert ran.status == 1 and ran.err.splitlines()[-1] == error_line(
        STRICT_REFUSAL, Where("", 2, 1, "<stdin>")
    ), ran
    # Turned off, then on again by the script: the script's \strict is what refused it.
    ran = cli("query", "--strict", "-f", "-", stdin="\\strict off\n\\strict on\n" + WARNED)
    assert ran.status == 1, ran
    assert ran.err.splitlines()[-1] == error_line(SCRIPT_STRICT_REFUSAL, Where("", 3, 1, "<stdin>")), ran
