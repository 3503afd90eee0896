"""What may come at the cursor: keywords, modules, fields, paths, values and operators.

:func:`suggest` is a pure function of the text, the cursor, the catalog and the names of
the known parameters; :class:`CoqlCompleter` only turns its answers into prompt_toolkit
completions. The text being completed rarely parses, so :func:`suggest` does not use the
parser: a forgiving scanner reads the statement under the cursor (strings and comments
kept whole, unterminated ones included) and a small state machine follows the clauses up
to the cursor. ``SELECT | FROM Leads`` looks ahead for the module; subqueries
(``IN (select id from Contacts where |)``) get their own module.

>>> from coqlkit.catalog import Catalog
>>> [s.text for s in suggest("select Last_Name from Leads where Lead_Status = 'Con", 52, Catalog.demo())]
["'Contact in Future'", "'Contacted'", "'Attempted to Contact'", "'Not Contacted'"]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from coqlkit.catalog import Catalog
from coqlkit.repl.candidates import _Context, modules_reached
from coqlkit.repl.clauses import _FIELD_STATES, _scan, statement_at
from coqlkit.repl.commands import REGISTRY, find, interrupts
from coqlkit.repl.params import _as_coql
from coqlkit.repl.ranking import Kind, Suggestion, _Ranked, _views

__all__ = [
    "CoqlCompleter",
    "Kind",
    "Suggestion",
    "awaits_from",
    "command_suggestions",
    "modules_wanted",
    "statement_at",
    "suggest",
]


def suggest(
    text: str,
    cursor: int,
    catalog: Catalog | None = None,
    params: Iterable[str] | Mapping[str, object] = (),
    profiles: Iterable[str] = (),
    default_module: str | None = None,
) -> list[Suggestion]:
    """The suggestions at offset ``cursor`` of ``text``, best first.

    Only the statement under the cursor counts (statements end at ``;``). Without a
    catalog only keywords, operators and parameters come back. ``params`` names the known
    ``:name`` parameters (a mapping also shows their values). On a command's line, the
    command's names and then its argument (:func:`command_suggestions`; ``profiles``
    names the profiles ``\\profile`` takes). ``default_module`` (the last query's, say)
    gives the fields of a SELECT typed before its FROM (:func:`awaits_from`), each marked so.

    >>> [s.text for s in suggest("sel", 3)]
    ['select']
    >>> [s.text for s in suggest("select Owner. from Leads", 13, Catalog.demo())][:4]
    ['profile', 'role', 'alias', 'city']
    """
    cursor = max(0, min(cursor, len(text)))
    line = text.rfind("\n", 0, cursor) + 1
    if _on_a_command(text, line, cursor):
        return command_suggestions(text[line:cursor], line, catalog, profiles, params)
    begin, chunk = statement_at(text, cursor)
    tokens = _scan(chunk)
    context = _Context(tokens, cursor - begin, begin, catalog, params)
    context.default_module = default_module
    return context.suggestions()


def awaits_from(text: str, cursor: int) -> bool:
    """Whether the cursor is where a field of the statement's module goes, but no FROM names
    the module yet, before the cursor or after it: fields cannot complete
    (``select La|``).

    >>> awaits_from("select La", 9), awaits_from("select La from Leads", 9), awaits_from("sel", 3)
    (True, False, False)
    """
    cursor = max(0, min(cursor, len(text)))
    line = text.rfind("\n", 0, cursor) + 1
    if _on_a_command(text, line, cursor):
        return False
    begin, chunk = statement_at(text, cursor)
    context = _Context(_scan(chunk), cursor - begin, begin, None, ())
    frame = context.frame
    if frame.state not in _FIELD_STATES or frame.nested or frame.module is not None:
        return False
    return not context._from_ahead()[0]


def modules_wanted(text: str, cursor: int, catalog: Catalog, default_module: str | None = None) -> set[str]:
    """The modules whose fields completing (or checking) the statement under the cursor
    needs: its FROM modules, a subquery's, each lookup target its paths reach (see
    :func:`~coqlkit.repl.candidates.modules_reached`). The statement need not parse: one
    being typed, pasted or recalled asks all the same. ``default_module`` stands for a
    FROM not typed yet.

    >>> sorted(modules_wanted("select Owner.em from Leads", 15, Catalog.demo()))
    ['Leads', 'Users']
    >>> modules_wanted("\\\\dt Lead", 8, Catalog.demo())
    set()
    """
    cursor = max(0, min(cursor, len(text)))
    line = text.rfind("\n", 0, cursor) + 1
    if _on_a_command(text, line, cursor):
        return set()
    _, chunk = statement_at(text, cursor)
    return modules_reached(_scan(chunk), catalog, default_module)


def at_statement_start(text: str, cursor: int) -> bool:
    """Whether nothing of the statement under the cursor comes before it (the prompt is
    empty, or the cursor follows a ``;``): completing there unasked would pop a menu up
    over Up, Down and Enter for a statement not begun.

    >>> at_statement_start("select 1 from Leads; ", 21), at_statement_start("sel", 3)
    (True, False)
    """
    cursor = max(0, min(cursor, len(text)))
    begin, _ = statement_at(text, cursor)
    return all(t.kind in ("ws", "comment") for t in _scan(text[begin:cursor]))


# ------------------------------------------------------------------------------------------ commands

_ON_OFF = (("on", ""), ("off", ""))
#: What a command's argument names, by its handler (:data:`~coqlkit.repl.commands.REGISTRY`).
_ARGUMENTS: dict[str, str | tuple[tuple[str, str], ...]] = {
    "describe": "module",
    "describe_plus": "module",
    "tables": "module",
    "mode": "format",
    "profile": "profile",
    "expanded": (*_ON_OFF, ("auto", "vertical when rows are too wide")),
    "timing": _ON_OFF,
    "strict": _ON_OFF,
    "tz": "zone",
    "export": "file",
    "output": "file",
    "include": "file",
    "edit": "file",
    "set": "param",  # (its NAME: a new one, or one set already, to change)
    "unset": "param",
}
#: At most so many file names are offered (a directory of thousands would fill the menu).
_MAX_FILES = 200


def _param_meta(value: object) -> str:
    """A parameter's value as its menu shows it (the COQL literal it binds to)."""
    return "" if value is None else f"= {_as_coql(value)}"


def _on_a_command(text: str, line: int, cursor: int) -> bool:
    """Whether the cursor is on a command's line: the first line of the text, starting
    with ``\\`` or ``.`` (no statement starts with either), or a command typed under a
    statement (:func:`~coqlkit.repl.commands.interrupts`)."""
    typed = text[line:cursor].lstrip()
    if line == 0 or not text[:line].strip():
        return typed.startswith(("\\", "."))
    return interrupts(text[: line - 1], text[line:cursor])


def command_suggestions(
    typed: str,
    offset: int = 0,
    catalog: Catalog | None = None,
    profiles: Iterable[str] = (),
    params: Iterable[str] | Mapping[str, object] = (),
) -> list[Suggestion]:
    r"""On a command's line (``typed``: up to the cursor, starting at ``offset``): the
    commands' names, then the argument the command takes: a module (``\d``, ``\d+``,
    ``\dt``), a format (``\T``), on or off (``\x``, ``\timing``, ``\strict``), a
    profile (``\profile``), a parameter set so far (``\set``, ``\unset``), a time zone
    or ``org`` (``\tz``: by its name or its city's, ``\tz kolk`` offers Asia/Kolkata).

    >>> [s.text for s in command_suggestions("\\ti")]
    ['\\timing']
    >>> [s.text for s in command_suggestions("\\d+ Dea", catalog=Catalog.demo())]
    ['Deals', 'Deals_X_Products']
    >>> [s.text for s in command_suggestions("\\x o")]
    ['on', 'off']
    """
    lead = len(typed) - len(typed.lstrip())
    word, space, arg = typed.lstrip().partition(" ")
    if not space:  # the command itself
        ranked = _Ranked(word, offset + lead)
        names = [(n, c.summary) for c in REGISTRY for n in c.names if n.startswith(("\\", "."))]
        ranked.words(0, names, "keyword")
        return ranked.result()
    command = find(word)
    prefix = arg.lstrip()
    takes = _ARGUMENTS.get(command.handler) if command is not None else None
    if takes == "param" and word.startswith("."):  # sqlite3's .parameter: its verb first
        takes = tuple((verb, "") for verb in ("set", "unset", "list", "clear"))
    if takes == "file":  # a file name may hold spaces: the whole rest is the argument
        return file_suggestions(prefix, offset + len(typed))
    if command is None or " " in prefix:
        return []  # an unknown command, or past its first argument
    ranked = _Ranked(prefix, offset + len(typed) - len(prefix))
    if takes == "module" and catalog is not None:
        ranked.entries(0, _views(catalog).modules, "module")
    elif takes == "format":
        from coqlkit.repl.output import format_names  # (tabulate's styles: only when asked)

        ranked.words(0, ((f, "") for f in format_names()), "keyword")
    elif takes == "zone":
        ranked = _Ranked("", ranked.start)  # (filtered here: by a zone's name or its city's)
        ranked.words(0, _zones(prefix), "keyword")
    elif takes == "profile":
        ranked.words(0, ((p, "profile") for p in profiles), "keyword")
    elif takes == "param":
        values = params if isinstance(params, Mapping) else dict.fromkeys(params)
        ranked.words(0, ((name, _param_meta(values[name])) for name in values), "keyword")
    elif isinstance(takes, tuple):
        ranked.words(0, takes, "keyword")
    return ranked.result()


def _zones(typed: str) -> list[tuple[str, str]]:
    r"""``\tz``'s menu: ``org``, then the time zones whose name, or whose city (its last
    part, ``_`` read as a blank), starts with ``typed``, in any case.

    >>> _zones("kolk"), _zones("europe/par"), _zones("o")[0]
    ([('Asia/Kolkata', '')], [('Europe/Paris', '')], ('org', "the org's time zone"))
    """
    from coqlkit.repl.config import zone_names  # (read once, when first asked)

    typed = typed.lower().replace(" ", "_")
    found = [("org", "the org's time zone")] if "org".startswith(typed) else []
    for name in zone_names():
        lower = name.lower()
        if lower.startswith(typed) or lower.rpartition("/")[2].startswith(typed):
            found.append((name, ""))
    return found


def file_suggestions(typed: str, end: int) -> list[Suggestion]:
    """The files and directories that complete ``typed`` (a path as far as the cursor,
    which is at offset ``end``), as psql and pgcli complete ``\\i``: the entries of its
    directory (``~`` is the home directory; a directory ends with ``/``) whose names start
    with its last part, hidden ones only when that part starts with ``.``. The commands
    read FILE as a shell reads a word, so a name with a blank or a quote comes quoted
    (``'my leads.csv'``), and a quote already typed is closed after a file's name."""
    quote = typed[:1] if typed[:1] in ("'", '"') else ""
    path = typed[len(quote) :]
    folder, _, stem = path.rpartition("/")
    where = os.path.expanduser(folder + "/" if folder or path.startswith("/") else ".")
    try:
        with os.scandir(where) as listing:
            found = sorted(
                (entry.name, entry.is_dir())
                for entry in listing
                if entry.name.startswith(stem) and (stem.startswith(".") or not entry.name.startswith("."))
            )
    except OSError:  # no such directory, or not readable: nothing to offer
        return []
    out = []
    for name, is_dir in found[:_MAX_FILES]:
        meta, tail = ("directory", "/") if is_dir else ("file", "")
        if not quote and any(c.isspace() or c in "'\"\\" for c in name):
            mark = '"' if "'" in name else "'"  # the whole argument, quoted
            text = mark + path[: len(path) - len(stem)] + name + tail + ("" if is_dir else mark)
            out.append(Suggestion(text, end - len(typed), "path", meta))
        else:
            out.append(Suggestion(name + tail + ("" if is_dir else quote), end - len(stem), "path", meta))
    return out


# ----------------------------------------------------------------------------------- prompt_toolkit


class CoqlCompleter(Completer):
    """prompt_toolkit completions from :func:`suggest`.

    ``catalog_getter`` returns the catalog, or None while the metadata is still loading
    (keywords complete meanwhile); ``params_getter`` the parameters set so far.
    ``want(modules)`` is told the modules whose fields the statement under the cursor
    needs (:func:`modules_wanted`; none while the module list loads), to fetch those not
    in yet in the background; it returns whether any (or the list) is still on its way,
    and then ``waiting`` holds the document completed, so that completion can run again
    on it once they are in.

    At the start of a statement (an empty prompt, or after a ``;``), and at the start of
    a line (nothing but blanks before the cursor on it: Enter in a statement being typed
    just made it), nothing is offered unless Tab asked: a menu that pops up there takes
    Up, Down and Enter from the history, from moving back to the line above, and from
    running the statement just ended (Up wrote the menu's last keyword, ``offset``).
    """

    def __init__(
        self,
        catalog_getter: Callable[[], Catalog | None],
        params_getter: Callable[[], Iterable[str] | Mapping[str, object]] | None = None,
        profiles_getter: Callable[[], Iterable[str]] | None = None,
        module_getter: Callable[[], str | None] | None = None,
        want: Callable[[Iterable[str]], bool] | None = None,
    ) -> None:
        self.catalog_getter = catalog_getter
        self.params_getter = params_getter
        self.profiles_getter = profiles_getter
        self.module_getter = module_getter  # the module of fields before FROM is typed
        self.want = want
        self.waiting: Document | None = None

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        cursor = document.cursor_position
        if not complete_event.completion_requested and (
            at_statement_start(document.text, cursor) or not document.current_line_before_cursor.strip()
        ):
            return
        params = self.params_getter() if self.params_getter is not None else ()
        profiles = _Lazy(self.profiles_getter)  # (read only when \profile's argument is completed)
        module = self.module_getter() if self.module_getter is not None else None
        catalog = self.catalog_getter()
        if self.want is not None:
            wanted = modules_wanted(document.text, cursor, catalog, module) if catalog is not None else ()
            self.waiting = document if self.want(wanted) else None
        for s in suggest(document.text, cursor, catalog, params, profiles, module):
            yield Completion(
                s.text,
                start_position=s.start - cursor,
                display_meta=s.meta,
                style=f"class:completion.{s.kind}",
            )


class _Lazy(Iterable[str]):
    """The names a getter gives, asked for only when iterated."""

    def __init__(self, getter: Callable[[], Iterable[str]] | None) -> None:
        self.getter = getter

    def __iter__(self) -> Iterator[str]:
        return iter(self.getter() if self.getter is not None else ())
