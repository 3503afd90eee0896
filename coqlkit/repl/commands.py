"""The REPL's commands: backslash names (psql's) with the SQLite/DuckDB dot aliases.

Every command is in :data:`REGISTRY`, which ``\\?`` lists and the README's command table
mirrors (a test checks that they agree). A command takes the rest of its line as its
argument; the handlers live in :mod:`coqlkit.repl.backslash` (methods of the shell).
"""

from __future__ import annotations

from dataclasses import dataclass

from coqlkit.language.split import code_only

__all__ = ["REGISTRY", "Command", "find", "help_text", "interrupts"]


@dataclass(frozen=True)
class Command:
    """``names``: how it is typed (the first is the main one); ``args``: its argument, as
    help shows it; ``summary``: what it does; ``handler``: the Shell method that runs it."""

    names: tuple[str, ...]
    args: str
    summary: str
    handler: str


REGISTRY: tuple[Command, ...] = (
    Command(("\\?", ".help", "\\h"), "", "list the commands", "help"),
    Command(("\\dt", ".tables"), "[PATTERN]", "list the modules COQL can query", "tables"),
    Command(
        ("\\d", ".schema"),
        "MODULE",
        "describe a module's fields: API name, label, type, lookup target, filterable",
        "describe",
    ),
    Command(("\\d+",), "MODULE", "describe a module's fields with their picklist values", "describe_plus"),
    Command(
        ("EXPLAIN",), "QUERY", "show the plan: strategy, COQL sent, calls, credits (a statement)", "explain"
    ),
    Command(
        ("EXPLAIN ANALYZE",),
        "QUERY",
        "run the query and show the plan with what each step really did",
        "explain_analyze",
    ),
    Command(
        ("\\T", ".mode"), "[FORMAT]", "show or set the output format (table, vertical, csv, json...)", "mode"
    ),
    Command(
        ("\\x",),
        "[on|off|auto]",
        "toggle vertical (expanded) output; auto: when rows are too wide; off: the format before",
        "expanded",
    ),
    Command(
        ("\\timing", ".timer"),
        "[on|off]",
        "toggle showing calls, credits and time after each query",
        "timing",
    ),
    Command(
        ("\\strict",),
        "[on|off]",
        "toggle refusing queries the check has warnings about (a value not in its picklist...)",
        "strict",
    ),
    Command(
        ("\\tz",),
        "[ZONE|org]",
        "show or set the time zone of datetimes, shown and exported (org: the org's)",
        "tz",
    ),
    Command(("\\credits",), "", "credits used this session and left today", "credits"),
    Command(("\\refresh",), "", "fetch the org's metadata again; forget the remembered counts", "refresh"),
    Command(("\\profile", ".open"), "NAME", "connect to another profile's org", "profile"),
    Command(
        ("\\export", ".export"),
        "FILE",
        "write the last query's rows to FILE (parquet, csv, json, jsonl, arrow by extension), atomically;"
        " rows kept from its run (up to 100,000), else it runs again",
        "export",
    ),
    Command(
        ("\\o", ".output"), "[FILE]", "send query results to FILE (no FILE: back to the screen)", "output"
    ),
    Command(("\\i", ".read"), "FILE", "run the queries and commands in FILE", "include"),
    Command(
        ("\\set", ".parameter"),
        "[NAME VALUE]",
        "set the :NAME parameter (no arguments: list them); .parameter also takes set, unset, list, clear",
        "set",
    ),
    Command(("\\unset",), "NAME", "forget the :NAME parameter", "unset"),
    Command(
        ("\\e",),
        "[FILE]",
        "edit the last query (or FILE itself, created if missing) in $EDITOR, then run what you save",
        "edit",
    ),
    Command(("\\q", ".quit", ".exit", "quit", "exit"), "", "quit", "quit"),
)


def find(word: str) -> Command | None:
    """The command typed as ``word`` (case matters for backslash names, as in psql)."""
    for command in REGISTRY:
        if word in command.names or (word.startswith(".") and word.lower() in command.names):
            return command
    return None


def interrupts(before: str, line: str) -> bool:
    r"""Whether ``line`` is a command typed in the middle of a statement (``before``: the
    statement's text so far), which runs at once as psql runs it, the statement carrying
    on after it: a backslash command, or a dot command coqlkit knows (``.5`` may continue
    a query), on a line that is not inside one of the statement's strings or comments.

    >>> interrupts("select Last_Name\nfrom Leads", "\\dt Lead")
    True
    >>> interrupts("select Last_Name from Leads where Company = 'a", "\\dt'")
    False
    >>> interrupts("select Last_Name from Leads where Annual_Revenue >", ".5")
    False
    """
    stripped = line.strip()
    word = stripped.split(None, 1)[0] if stripped else ""
    if not (word.startswith("\\") or (word.startswith(".") and find(word) is not None)):
        return False
    return code_only(before + "\n\0").endswith("\0")  # not swallowed by a string or a comment


def help_text() -> str:
    rows = []
    for command in REGISTRY:
        name = ", ".join(command.names)
        usage = f"{name} {command.args}".rstrip()
        rows.append((usage, command.summary))
    width = max(len(usage) for usage, _ in rows)
    lines = [f"  {usage.ljust(width)}  {summary}" for usage, summary in rows]
    return "Commands (a query ends with ;):\n" + "\n".join(lines)
