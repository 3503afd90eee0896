"""The one exception tree of coqlkit.

Every error a user can catch is a :class:`CoqlError`::

    CoqlError                    .code: Zoho's error code where one applies
    ├── CoqlSyntaxError          text that is not COQL (.line, .column, .expected, .hint)   *
    ├── ValidationError          a query the catalog rejects (.diagnostics)                 *
    ├── ParameterError           a :name parameter that is missing or cannot be bound       *
    ├── RenderError              an AST that cannot be sent as strict COQL yet
    ├── CatalogError             metadata that cannot be read (bad snapshot, unknown module)
    ├── ConfigError              a profile or setting that is missing or wrong (no secret in it)
    │   └── OptionError          an option or value connect()/query() cannot take (also a TypeError, ValueError)
    ├── PlanError                a query coqlkit cannot find a way to run
    ├── CreditBudgetExceeded     work refused before it starts: it would pass a credit budget
    │   └── DailyLimitReached    ...or the org's credits left today (also a RateLimited)
    └── ApiError                 Zoho (or the network) answered with an error (.status, .details)
        ├── TransportError       no answer: connection refused or dropped, timeout
        ├── AuthError            401s and token-endpoint refusals (INVALID_TOKEN, invalid_client...)
        ├── RateLimited          429: TOO_MANY_REQUESTS, LIMIT_REACHED (.retry_after)
        │   └── OrgBusy          429s went on at one call at a time: the org's slots are taken
        └── ZohoApiError         any other Zoho error envelope (INVALID_QUERY, SYNTAX_ERROR...)

Messages never contain secrets: the only text they quote is the query itself.

``*``: a mistake in the user's input. IPython and Jupyter show these errors as their
message alone (the caret diagnostic), not as a traceback through coqlkit's internals
(``_render_traceback_``); ``traceback.print_exception(error)`` still prints the frames.
All three have ``.line``, ``.column`` and ``.hint`` (None when not known).

Every warning is a :class:`CoqlWarning` (a ``UserWarning``)::

    CoqlWarning
    ├── QueryWarning             a query that runs but probably not as meant (.diagnostics)
    ├── ConsistencyWarning       a read's rows disagree with the count made before it
    ├── AmbiguousLookupWarning   a lookup column as names, where one name stands for several records
    └── PartialResultWarning     a DataFrame of a notebook view that holds only the rows it showed
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from coqlkit.language.ast import Span
    from coqlkit.validate.diagnostics import Diagnostic

__all__ = [
    "AmbiguousLookupWarning",
    "ApiError",
    "AuthError",
    "CatalogError",
    "ConfigError",
    "ConsistencyWarning",
    "CoqlError",
    "CoqlSyntaxError",
    "CoqlWarning",
    "CreditBudgetExceeded",
    "DailyLimitReached",
    "OptionError",
    "OrgBusy",
    "ParameterError",
    "PartialResultWarning",
    "PlanError",
    "QueryWarning",
    "RateLimited",
    "RenderError",
    "TransportError",
    "ValidationError",
    "ZohoApiError",
]


def _rebuilt(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """An exception of ``cls`` holding ``args``, made without calling its ``__init__``: its
    attributes are the state pickle and :mod:`copy` set next."""
    return cls.__new__(cls, *args)


def _reduce(error: BaseException) -> tuple[Any, ...]:
    """How pickle and :mod:`copy` take ``error`` apart: its class, ``args`` and attributes.

    ``BaseException``'s own way calls ``cls(*error.args)`` again, and ``args`` holds only
    the formatted message: a class whose ``__init__`` wants more (``CoqlSyntaxError``'s
    ``line``, ``ValidationError``'s diagnostics) could not be rebuilt, which broke a process
    pool whose worker raised one. The attributes as they are, not the arguments they came
    from, rebuild every subclass, whatever its ``__init__`` takes.
    """
    return (_rebuilt, (type(error), error.args), error.__dict__ or None)


class CoqlError(Exception):
    """Base class of every coqlkit error. ``.code`` is Zoho's code where one applies.

    Every coqlkit error survives ``pickle`` and ``copy.copy`` with its attributes, so a
    process pool's worker can raise one to its parent.
    """

    code: str = "COQLKIT_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return _reduce(self)

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class _InputError(CoqlError):
    """A mistake in the user's input (the query, its parameters), whose message says it all:
    IPython shows the message alone, as it shows a magic's error, not the frames it passed
    through (the event loop's thread of the synchronous API among them).

    Each says where and why the same way, so one handler can report any of them:
    ``.line`` and ``.column`` (1-based) of the problem and a ``.hint``, each None when
    not known.
    """

    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of the traceback: the class and the message.

        >>> ParameterError(":when has no value\\nhint: pass params={'when': ...}")._render_traceback_()
        ['ParameterError: :when has no value', "hint: pass params={'when': ...}"]
        """
        first, *rest = str(self).split("\n")
        return [f"{type(self).__name__}: {first}", *rest]


class CoqlSyntaxError(_InputError):
    """Raised by :func:`coqlkit.parse` for text that is not COQL.

    ``.code`` is ``SYNTAX_ERROR``, or the code Zoho gives the few mistakes its parser lets
    through and rejects later (``INVALID_QUERY`` for ``limit ten``).

    Carries the 1-based ``line`` and ``column`` of the problem, the ``expected``
    tokens (as a person would write them), an optional ``hint``, the bare
    ``description`` and the ``text`` of the query. ``str(error)`` quotes the
    query with a caret under the problem.
    """

    code = "SYNTAX_ERROR"
    # A syntax error always knows where it is.
    line: int
    column: int

    def __init__(
        self,
        description: str,
        *,
        text: str,
        line: int,
        column: int,
        end_column: int | None = None,
        expected: Sequence[str] = (),
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        self.description = description
        self.text = text
        self.line = line
        self.column = column
        self.end_column = end_column if end_column is not None else column + 1
        self.expected = tuple(expected)
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        # As every other diagnostic prints (``coqlkit lint``, the shell): severity[CODE].
        parts = [f"{self.line}:{self.column}: error[{self.code}]: {self.description}"]
        parts.append(excerpt(self.text, self.line, self.column, self.end_column))
        if self.hint:
            parts.append(f"  hint: {self.hint}")
        return "\n".join(parts)


class ValidationError(_InputError):
    """Raised when a query has error-level diagnostics and the caller asked to raise.

    ``.diagnostics`` holds every diagnostic found (errors first); ``.code`` is the
    code of the first error, which is the one Zoho would report.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], text: str | None = None) -> None:
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.severity.name == "ERROR"] or list(self.diagnostics)
        first = errors[0]
        body = "\n".join(d.format(text) for d in errors)
        super().__init__(body, code=first.code)
        # Where and why of the first error, the one Zoho would report.
        if first.span is not None:
            self.line, self.column = first.span.line, first.span.column
        self.hint = first.hint


class ParameterError(_InputError):
    """A ``:name`` parameter has no value, or its value has no COQL form.

    ``.description`` is the bare message, ``.span`` where the parameter stands (None when
    not known; ``.line`` and ``.column`` are its start) and ``.text`` the query it stands
    in: given both, ``str(error)`` quotes the query with a caret under the parameter, as a
    syntax error does. ``.hint``, when given, is printed under it.

    >>> from coqlkit.language import parse
    >>> parse("select Last_Name from Leads\\nwhere Email = :email", {"email": None})
    Traceback (most recent call last):
    ...
    coqlkit.errors.ParameterError: 2:15: error[INVALID_PARAMETER]: :email is None; write 'is null' in the query instead
      where Email = :email
                    ^^^^^^
    """

    code = "INVALID_PARAMETER"

    def __init__(
        self, message: str, *, span: Span | None = None, text: str | None = None, hint: str | None = None
    ) -> None:
        self.description = message
        self.span = span
        self.text = text
        self.hint = hint
        if span is not None:
            self.line, self.column = span.line, span.column
        super().__init__(self._format())

    def _format(self) -> str:
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        span, text = self.span, self.text
        if span is None or text is None:
            return f"{self.description}{hint}"
        end = span.end_column if span.end_line == span.line else None
        where = excerpt(text, span.line, span.column, end)
        return f"{span.line}:{span.column}: error[{self.code}]: {self.description}\n{where}{hint}"

    def at(self, span: Span | None, text: str | None = None) -> ParameterError:
        """This error where the parameter stands (``span``), in ``text`` when given."""
        return ParameterError(
            self.description, span=span or self.span, text=text or self.text, hint=self.hint
        )


class RenderError(CoqlError):
    """The AST holds something strict COQL cannot say yet (``SELECT *``, an unbound parameter)."""

    code = "RENDER_ERROR"


class CatalogError(CoqlError):
    """Field metadata could not be read, or names a module the catalog does not have."""

    code = "CATALOG_ERROR"


class CoqlWarning(UserWarning):
    """Base class of coqlkit's warnings (``warnings.simplefilter("error", coqlkit.CoqlWarning)``
    makes them errors). They pickle and copy with their attributes, as the errors do."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _reduce(self)


class QueryWarning(CoqlWarning):
    """The metadata check found something that Zoho will run but that is probably not what
    was meant: a value that is not in its picklist (so nothing matches), an ORDER BY field
    the org does not sort by... Issued once per query, before anything but the COUNT probe is
    spent; ``.diagnostics`` holds the findings, and the message quotes the query with a
    caret under each."""

    def __init__(self, diagnostics: Sequence[Diagnostic], text: str | None = None) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.format(text) for d in self.diagnostics))


class ConsistencyWarning(CoqlWarning):
    """A read's rows disagree with what coqlkit counted before it: records were created,
    changed or deleted while the pages were read. The message says how many."""


class AmbiguousLookupWarning(CoqlWarning):
    """A lookup column was converted to its records' names (pandas' ``lookups="name"``, the
    default) where one name stands for several records: a group-by on the names merges
    them. ``.column`` is the column, ``.names`` how many of its names are ambiguous,
    ``.example`` one of them and ``.records`` how many records it stands for; ``fix`` is
    what keeps the ids (``lookups="flatten"``: ``Account_Name.name`` and ``Account_Name.id``).

    >>> print(AmbiguousLookupWarning("Account_Name", names=5, example="Lunar Capital", records=2))
    Account_Name: 5 names each stand for more than one record (e.g. 'Lunar Capital': 2 records), which a group-by on the names merges; lookups="flatten" keeps each record's id (Account_Name.id)
    """

    def __init__(
        self, column: str, *, names: int, example: str, records: int, fix: str = 'lookups="flatten"'
    ) -> None:
        self.column = column
        self.names = names
        self.example = example
        self.records = records
        what = "1 name stands" if names == 1 else f"{names:,} names each stand"
        super().__init__(
            f"{column}: {what} for more than one record (e.g. {example!r}: {records:,} records), "
            f"which a group-by on the names merges; {fix} keeps each record's id ({column}.id)"
        )


class PartialResultWarning(CoqlWarning):
    """A DataFrame (or table) made from a notebook view that read only the rows it showed
    (``view = %coql ...`` when reading the whole result would have cost more): it holds
    those rows, not the result. The message says how to read every row."""


class PlanError(CoqlError):
    """No plan can run this query (say, a NOT IN too long for any rewrite)."""

    code = "PLAN_ERROR"


class ConfigError(CoqlError):
    """A profile, data centre or credential that is missing or wrong. Never quotes a secret."""

    code = "CONFIG_ERROR"


class OptionError(ConfigError, TypeError, ValueError):
    """An option that :func:`~coqlkit.connect`, :func:`~coqlkit.connect_async`, ``query()``
    or ``explain()`` does not take, or a value it cannot take (``max_credits="500"``),
    refused before anything is sent: the message names the options it takes. A
    :class:`ConfigError` (``except coqlkit.CoqlError`` catches it) and a ``TypeError`` and
    ``ValueError``, as Python's own refusal of a keyword or a value would be."""


class CreditBudgetExceeded(CoqlError):
    """Raised before any call is made when the work would spend more than its credit budget.

    ``.needed`` is what the work would cost, ``.left`` what the budget still allows.
    """

    code = "CREDIT_BUDGET_EXCEEDED"

    def __init__(self, message: str, *, needed: int, left: int) -> None:
        super().__init__(message)
        self.needed = needed
        self.left = left


class ApiError(CoqlError):
    """Zoho, or the way to it, answered with an error.

    Carries Zoho's ``.code``, ``.details`` (its ``details`` object) and the HTTP ``.status``
    (None when no answer came). The message is Zoho's own, never a token or a secret.
    """

    code = "API_ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.details = dict(details or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


class TransportError(ApiError):
    """No answer came (the connection was refused, dropped or timed out), or the one that
    came cannot be read (``UNREADABLE_ANSWER``: not JSON, cut off, another shape; its
    ``.status`` is the answer's)."""

    code = "TRANSPORT_ERROR"


class AuthError(ApiError):
    """Zoho refused the credentials: a 401 (``INVALID_TOKEN``, ``AUTHENTICATION_FAILURE``,
    ``OAUTH_SCOPE_MISMATCH``) or the token endpoint's ``invalid_client``/``invalid_code``."""

    code = "AUTHENTICATION_FAILURE"


class RateLimited(ApiError):
    """429: too many calls in flight (``TOO_MANY_REQUESTS``) or no credits left for the day
    (``LIMIT_REACHED``). ``.retry_after`` is the server's hint in seconds, if it gave one."""

    code = "TOO_MANY_REQUESTS"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class OrgBusy(RateLimited):
    """Zoho kept answering 429 ``TOO_MANY_REQUESTS`` after coqlkit had slowed down to one
    call at a time, for longer than its patience: other integrations hold the org's
    concurrent-call slots. The refused calls cost nothing; try again later."""

    code = "TOO_MANY_REQUESTS"


class DailyLimitReached(CreditBudgetExceeded, RateLimited):
    """Refused before it was sent: the call would cost more credits than the org has left
    today, by Zoho's last ``X-API-CREDITS-REMAINING`` less what was asked for since.

    A :class:`CreditBudgetExceeded` (``.needed``, ``.left``), and the ``LIMIT_REACHED``
    :class:`RateLimited` Zoho would have answered with (``.status`` is None: nothing was sent).
    """

    code = "LIMIT_REACHED"


class ZohoApiError(ApiError):
    """Any other error envelope Zoho answered with: ``INVALID_QUERY``, ``SYNTAX_ERROR``,
    ``LIMIT_EXCEEDED``, ``INTERNAL_ERROR``...

    Zoho's message often leaves out what it refuses and puts it in ``details``:
    ``str(error)`` adds the details that name something, so a log line says which column.

    >>> print(ZohoApiError("column given seems to be invalid", code="INVALID_QUERY", details={"column_name": "Emial"}))
    column given seems to be invalid (column_name: Emial)
    """

    def __str__(self) -> str:
        message = super().__str__()
        first, newline, rest = message.partition("\n")
        # What the first line names, not the lines under it: a hint there (the stale
        # metadata's names the column) must not take the column off the line a log keeps.
        named = _named_details(self.details, first)
        if not named:
            return message
        return f"{first} ({named}){newline}{rest}"


#: Keys of Zoho's ``details`` never quoted in a message, should an answer ever carry one.
_SECRET_KEY = re.compile(r"token|secret|password|passwd|auth|credential|cookie|session|grant|key", re.I)
#: A value longer than this is not a name: left to ``.details``.
_NAME_WIDTH = 80


def _named_details(details: Mapping[str, Any], message: str = "") -> str:
    """The entries of Zoho's ``details`` that name something, as ``key: value, ...``.

    Only short one-line strings, numbers and booleans, under keys that do not look like a
    credential's, and not already in ``message``: a nested object, a list or a long text
    stays in ``.details``.

    >>> _named_details({"column_name": "Emial", "reason": "invalid value", "expected": ["a", "b"]})
    'column_name: Emial, reason: invalid value'
    >>> _named_details({"access_token": "1000.abc"}), _named_details({"module": "Leads"}, "Leads is not supported")
    ('', '')
    """
    named = []
    for key, value in details.items():
        if isinstance(value, bool | int | float):
            text = str(value)
        elif isinstance(value, str) and 0 < len(value) <= _NAME_WIDTH and value.isprintable():
            text = value
        else:
            continue
        if _SECRET_KEY.search(str(key)) or text in message:
            continue
        named.append(f"{key}: {text}")
    return ", ".join(named)


#: A quoted line longer than this many characters is cut to a window of it around the
#: caret, with ``…`` where it was cut (as rustc and clang do with long lines).
EXCERPT_WIDTH = 120


def excerpt(text: str, line: int, column: int, end_column: int | None = None, *, indent: str = "  ") -> str:
    """Quote ``line`` of ``text`` with carets under ``column``..``end_column`` (1-based, end exclusive).

    >>> print(excerpt("select Emial from Leads", 1, 8, 13))
      select Emial from Leads
             ^^^^^

    A line longer than :data:`EXCERPT_WIDTH` is shown only around the caret. The caret is
    placed by display width, as a terminal shows the line: an East Asian wide character or
    an emoji takes two columns, a combining mark or a zero-width character none.

    >>> print(excerpt("where City = '東京' and Emial = 'x'", 1, 23, 28))
      where City = '東京' and Emial = 'x'
                              ^^^^^

    A long line's window never begins with a combining mark cut from its letter:

    >>> line = "select '" + "x" * 36 + "m\\u0300e' " + "y" * 120
    >>> excerpt(line, 1, 86).split("\\n")[0][:5] == "  …m\\u0300"
    True
    """
    import unicodedata  # only here: the rest of this module needs nothing of it

    def columns(ch: str) -> int:
        if ch.isascii():
            return 1
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            return 2
        return 0 if unicodedata.category(ch) in ("Mn", "Me", "Cf") else 1

    # Lines are counted at "\n" only, as the lexer counts them (not at form feeds and the like).
    lines = text.split("\n")
    source = lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""
    width = max(1, (end_column or column + 1) - column)
    width = min(width, max(1, len(source) - column + 1))
    first = max(0, column - 1)
    lo, hi = 0, len(source)
    if len(source) > EXCERPT_WIDTH:
        # A third of the window before the caret, unless the line ends sooner.
        lo = max(0, min(first - EXCERPT_WIDTH // 3, len(source) - EXCERPT_WIDTH))
        # Never cut between a character and its combining marks: shown after the "…", a mark
        # would sit on it. The window starts at the character the marks belong to.
        while 0 < lo and columns(source[lo]) == 0 and not source[lo].isspace():
            lo -= 1
        hi = lo + EXCERPT_WIDTH
        width = max(1, min(width, hi - first))
    before = "…" if lo > 0 else ""
    after = "…" if hi < len(source) else ""
    # Tabs keep their width under the caret so it lines up in a terminal.
    pad = "".join("\t" if ch == "\t" else " " * columns(ch) for ch in source[lo:first])
    carets = max(1, sum(columns(ch) for ch in source[first : first + width]))
    return f"{indent}{before}{source[lo:hi]}{after}\n{indent}{' ' * len(before)}{pad}{'^' * carets}"
