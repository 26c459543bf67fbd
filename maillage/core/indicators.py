"""The indicator engine (issue 14; docs/indicators.md, INDICATORS.md §1–§2).

Each indicator is declared once, by the app that owns its records, in that app's
``indicators.py`` module (``INDICATORS``: a list of ``Indicator``), discovered by name like
Django admin's ``admin.py``: core names no domain app. An indicator is never typed in: it is
computed for a CRT and a ``Period`` from the records.

Most indicators are counts, declared as:

- a **population**: ``population(crt, period)``, the queryset of the records behind the figure
  (people of the file active, entries, exits…);
- what is **counted**: ``counted``, the distinct key of the population (``"pk"``, or a foreign
  key such as ``"beneficiary"`` to count people, or a database expression — a *composite key*
  such as a volet 1 person, who is either a volet 2 beneficiary or a light record — counted
  ``DISTINCT`` by the database, its drill-down one record of the population per key);
- **breakdowns**: each a database expression giving the category of a record of the
  population (``Breakdown.expression(period)``);
- the **access policy** of the population, ``visible(crt=, user=, roles=)``: the app's own
  policy querysets, which the drill-down goes through.

The value is one aggregate query (``COUNT(DISTINCT counted)``), each breakdown one grouped
query, and the drill-down the records of the counted key (people, enrolments…) that the viewer
may see among the population: for a user who sees everything, its count is the value. A figure
that is not a count (an average) declares ``compute(crt=, period=, count=)`` from the count (still
database aggregation), and extra figures (a mean duration, a median) ``extras``. An amount
(euros) declares ``compute`` (the sum) and ``summed``, the field summed in each breakdown row
beside its count.
"""

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    Expression,
    F,
    Func,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.db.models.lookups import LessThan
from django.utils import timezone

from .discovery import app_modules

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")

MONTH, HALF_YEAR, YEAR, CUSTOM = "month", "half_year", "year", "custom"


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(first: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def midnight_after(day: date) -> datetime:
    """The instant the day after ``day`` begins, in the CRT's time (Paris): ``field__lt`` it is
    ``field__date__lte=day`` without casting every row."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min),
                               timezone.get_current_timezone())


# --- Periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Dates ``start`` to ``end``, both included (INDICATORS §1: calendar year, half-years
    S1 = 01/01–30/06 and S2 = 01/07–31/12, months, or any span)."""

    start: date
    end: date
    kind: str = CUSTOM

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("La date de début doit précéder la date de fin.")
        if self.kind not in (MONTH, HALF_YEAR, YEAR, CUSTOM):
            raise ValueError(f"Type de période inconnu : {self.kind!r}.")

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(date(year, month, 1), _last_day(year, month), MONTH)

    @classmethod
    def half_year(cls, year: int, half: int) -> "Period":
        if half not in (1, 2):
            raise ValueError("Un semestre est le 1er ou le 2e.")
        return cls(date(year, 1 if half == 1 else 7, 1),
                   date(year, 6, 30) if half == 1 else date(year, 12, 31), HALF_YEAR)

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), date(year, 12, 31), YEAR)

    @classmethod
    def custom(cls, start: date, end: date) -> "Period":
        return cls(start, end, CUSTOM)

    @classmethod
    def between(cls, start: date, end: date) -> "Period":
        """The period from ``start`` to ``end``, recognised as a calendar month, half-year or
        year when it is one (so that ``previous()`` is the previous month, half-year, year)."""
        if start.day == 1 and end == _last_day(end.year, end.month) and start.year == end.year:
            if start.month == end.month:
                return cls.month(start.year, start.month)
            if (start.month, end.month) in ((1, 6), (7, 12)):
                return cls.half_year(start.year, 1 if start.month == 1 else 2)
            if (start.month, end.month) == (1, 12):
                return cls.year(start.year)
        return cls.custom(start, end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def instants(self, field: str) -> Q:
        """``field`` (a date-time) falls on a day of the period, in the CRT's time (Paris):
        from the first day's midnight to the midnight after the last day. The same as
        ``field__date`` between the dates, as a plain range an index can serve (``__date``
        casts every row, through a Python function on SQLite)."""
        return Q(**{f"{field}__gte": midnight_after(self.start - timedelta(days=1)),
                    f"{field}__lt": midnight_after(self.end)})

    def previous(self) -> "Period":
        """The period of the same kind just before: the previous month, half-year or year; for
        a custom period, as many days ending the day before it starts."""
        if self.kind == MONTH:
            first = _add_months(self.start, -1)
            return Period.month(first.year, first.month)
        if self.kind == HALF_YEAR:
            return (Period.half_year(self.start.year - 1, 2) if self.start.month == 1
                    else Period.half_year(self.start.year, 1))
        if self.kind == YEAR:
            return Period.year(self.start.year - 1)
        end = self.start - timedelta(days=1)
        return Period.custom(end - timedelta(days=self.days - 1), end)

    def months(self) -> list[date]:
        """The first days of the calendar months the period touches."""
        first, months = self.start.replace(day=1), []
        while first <= self.end:
            months.append(first)
            first = _add_months(first, 1)
        return months

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return f"{MONTHS[self.start.month - 1]} {self.start.year}"
        if self.kind == HALF_YEAR:
            half = "1er" if self.start.month == 1 else "2e"
            return f"{half} semestre {self.start.year}"
        if self.kind == YEAR:
            return f"année {self.start.year}"
        return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"

    def __str__(self) -> str:
        return self.label


# --- Common definitions as database expressions (INDICATORS §1) ------------------------------

#: The age bands of the reports (INDICATORS §1): (code, label, lowest age).
AGE_BANDS = (
    ("lt60", "Moins de 60 ans", 0),
    ("60_74", "60 à 74 ans", 60),
    ("75_84", "75 à 84 ans", 75),
    ("85_94", "85 à 94 ans", 85),
    ("95plus", "95 ans et plus", 95),
)
AGE_BAND_LABELS = {code: label for code, label, _ in AGE_BANDS}


class DaysBetween(Func):
    """Whole days from ``start`` to ``end`` (expressions of dates, or dates), computed by the
    database: ``end - start`` on PostgreSQL (dates subtract to an integer), the difference of
    Julian days on SQLite."""

    output_field = IntegerField()
    arg_joiner = " - "
    template = "(%(expressions)s)"

    def __init__(self, start, end, **extra):
        def expression(value):
            if isinstance(value, date):
                return Value(value, output_field=DateField())
            return F(value) if isinstance(value, str) else value

        # The later date first: ``end - start``.
        super().__init__(expression(end), expression(start), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection,
                              template="CAST(julianday(%(expressions)s) AS INTEGER)",
                              arg_joiner=") - julianday(", **extra_context)


def age_on(birth_date, day) -> Any:
    """Whole years from ``birth_date`` to ``day`` (expressions of dates), computed by the
    database (SQLite and PostgreSQL): the difference of years, less one before the
    birthday."""
    if isinstance(day, date):
        day = Value(day, output_field=DateField())
    before_birthday = LessThan(ExtractMonth(day) * 100 + ExtractDay(day),
                               ExtractMonth(birth_date) * 100 + ExtractDay(birth_date))
    return (ExtractYear(day) - ExtractYear(birth_date)
            - Case(When(before_birthday, then=Value(1)), default=Value(0),
                   output_field=IntegerField()))


def age_band(birth_date, day) -> Case:
    """The age band (``AGE_BANDS`` code) of someone born on ``birth_date`` on ``day``."""
    age = age_on(birth_date, day)
    # The first matching When wins: each band is "below the next band's lowest age".
    whens = [When(LessThan(age, Value(next_low)), then=Value(code))
             for (code, _, _), (_, _, next_low) in zip(AGE_BANDS, AGE_BANDS[1:], strict=False)]
    return Case(*whens, default=Value(AGE_BANDS[-1][0]))


GIR_LABELS = {**{gir: f"GIR {gir}" for gir in range(1, 7)}, None: "Non évalué"}


# --- Declarations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """A breakdown of an indicator: the category of each record of the population."""

    #: Short code: ``age_band``, ``sex``, ``gir``, ``living_situation``, ``commune``,
    #: ``domain``, ``partner_type``, ``month``, or the indicator's own.
    code: str
    #: French heading of the breakdown.
    label: str
    #: ``expression(period)``: a database expression (or a field path) on the population
    #: giving the category of a record.
    expression: Callable[["Period"], Any]
    #: Category → French label, in the order of the rows; these rows are shown even at 0.
    #: Categories found but not listed come after, under their own value, in label order.
    #: A callable ``labels(period)`` when they depend on the period (its months).
    labels: Mapping[Any, str] | Callable[["Period"], Mapping[Any, str]] = field(
        default_factory=dict)
    #: Label of an empty category (NULL or ""), when ``labels`` does not name it.
    missing: str = "Non renseigné"
    #: False when a counted record may fall in several rows (the expression goes through a
    #: one-to-many relation): the rows then do not add up to the value, and say so.
    exclusive: bool = True
    #: A word on where the category comes from, when not obvious (« valeur actuelle »…).
    note: str = ""
    #: Rows that are conditions rather than one category per record (a JSON list of
    #: situations, several flags, an ``Exists`` per kind): ``conditions(period)`` gives
    #: ``{key: condition}`` (a ``Q`` or a boolean expression on the population), in row
    #: order; a record falls in every row whose condition it meets. ``expression`` is then
    #: unused (pass None), ``labels`` names the keys, and the breakdown is not exclusive
    #: unless the conditions say otherwise. All rows are one aggregate query.
    conditions: Callable[["Period"], Mapping[Any, Any]] | None = None


@dataclass(frozen=True)
class Extra:
    """A figure shown beside the value (a mean, a median, a target)."""

    label: str
    value: int | Decimal | None
    unit: str = ""
    #: Whether the figure is about people (a count of people or of their records, a mean or a
    #: share over them): the small-cell rule (INDICATORS §5) hides it outside the CRT. False
    #: for a parameter of the CRT (its target, the months of the period, an envelope).
    people: bool = True
    #: For a rate, mean, median or per-person figure about people: how many people (or
    #: records about one person) it is computed over, its denominator. Outside the CRT it is
    #: hidden under ``smallcells.THRESHOLD`` (INDICATORS §5 rule 4).
    over: int | None = None
    #: For a share of ``over`` (or a count that is part of ``over``): its numerator. Outside the
    #: CRT the figure is hidden when the part, or the rest (``over`` − ``part``), is 1 to 4:
    #: either would give a small count by difference (rules 3 and 4).
    part: int | None = None
    #: Counts shown beside a figure made of their sum: the parts carry ``line`` (a name), the
    #: figures made of the sum (the total, a rate of it) the same ``line`` and ``whole=True``.
    #: Outside the CRT, when a part is hidden the wholes of its line are hidden too, so the
    #: part cannot be rebuilt as the total minus the others (rule 3).
    line: str = ""
    whole: bool = False
    #: A count of people who are part of one row of a breakdown, ``(breakdown code, row
    #: key)`` (the people paying for one optional service, of the row « optional service »):
    #: outside the CRT it is hidden where that row's cell is, or it would give the cell back
    #: (one part alone equals its row).
    within: tuple[str, Any] | None = None


@dataclass(frozen=True)
class Indicator:
    """One indicator, declared once by the app that owns its records."""

    #: As in INDICATORS.md (``V2-01a``…). A code never changes meaning.
    code: str
    #: French name, as the ARS reads it.
    name: str
    #: French definition, with the Maillage rule where the seeds are silent.
    definition: str
    #: French unit of the value (« personnes », « admissions »…).
    unit: str
    #: ``population(crt, period)``: the records behind the figure, for that CRT and period.
    population: Callable[..., QuerySet]
    #: ``visible(crt=, user=, roles=)``: the records of the population's model the viewer may
    #: see (the owning app's access policy); the drill-down goes through it.
    visible: Callable[..., QuerySet]
    #: The distinct key counted over the population: ``"pk"``, a foreign key, or a database
    #: expression (a composite key, e.g. ``Concat`` of two nullable foreign keys with a
    #: prefix each), counted ``DISTINCT``; the drill-down of an expression lists one record of
    #: the population per key (the first by primary key among those the viewer may see).
    counted: str | Expression = "pk"
    breakdowns: tuple[Breakdown, ...] = ()
    #: For a figure that is not a count: ``compute(crt=, period=, count=)`` -> the value.
    compute: Callable[..., Any] | None = None
    #: For a share (%) of the counted records: ``numerator(crt=, period=)`` -> how many of
    #: them the share is of (one aggregate); ``compute`` is then ``share_of(numerator)``.
    #: Outside the CRT the share is hidden when the numerator or the rest is 1 to 4.
    numerator: Callable[..., int] | None = None
    #: ``extras(crt=, period=, population=)`` -> list of ``Extra``, by database aggregation.
    extras: Callable[..., list[Extra]] | None = None
    #: For an amount: the field of the population summed in each breakdown row
    #: (``Row.amount``), beside the count of records; the value itself is ``compute``'s.
    summed: str | None = None
    #: Version of the definition (a changed rule is a new version, never a new meaning).
    version: int = 1
    #: Whether the value and the rows count people, or records each about one person (their
    #: stays, exits, calls, participations, acts): outside the CRT (the ARS's regional view)
    #: the small-cell rule of INDICATORS §5 (``core.smallcells``) hides counts of 1 to 4. True
    #: unless declared otherwise (deny by default); False for what counts the CRT's own
    #: organisation (positions, agreements, sessions, actions).
    people: bool = True
    #: Whether the values of several CRTs add up to a region's (counts, amounts, an average
    #: file active: Σ mois-forfait ÷ months). False for a share (%): a region's share is not the
    #: sum of its CRTs', and the regional view shows no total for it.
    additive: bool = True

    def __post_init__(self):
        codes = [b.code for b in self.breakdowns]
        if len(codes) != len(set(codes)):
            raise ValueError(f"Indicator {self.code}: two breakdowns share a code.")

    @property
    def is_count(self) -> bool:
        return self.compute is None

    def breakdown(self, code: str) -> Breakdown:
        for b in self.breakdowns:
            if b.code == code:
                return b
        raise KeyError(f"Indicator {self.code} has no breakdown {code!r}.")


@cache
def registry() -> dict[str, Indicator]:
    """Every app's ``INDICATORS``, in app order, keyed by code (a code declared twice fails)."""
    return autodiscover()


def autodiscover() -> dict[str, Indicator]:
    """Read the ``indicators`` module of each app (``registry()`` keeps the result)."""
    found: dict[str, Indicator] = {}
    for module in app_modules("indicators"):
        for indicator in getattr(module, "INDICATORS", ()):
            if indicator.code in found:
                raise ValueError(f"Indicator {indicator.code} declared twice.")
            found[indicator.code] = indicator
    return found


def get(code: str) -> Indicator:
    try:
        return registry()[code]
    except KeyError:
        raise KeyError(f"Unknown indicator {code!r}.") from None


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: Any
    label: str
    value: int
    #: The sum of the indicator's ``summed`` field over the row's records (amounts only).
    amount: Decimal | None = None


@dataclass(frozen=True)
class BreakdownResult:
    code: str
    label: str
    exclusive: bool
    rows: tuple[Row, ...]
    note: str = ""

    @property
    def total(self) -> int:
        return sum(r.value for r in self.rows)


OVERLAP_NOTE = ("Une même personne ou un même dossier peut figurer dans plusieurs lignes : "
                "les lignes ne s'additionnent pas.")
#: The same for a figure that counts no people (structures, sessions, meetings…).
OVERLAP_NOTE_THINGS = ("Un même élément compté peut figurer dans plusieurs lignes : les lignes "
                       "ne s'additionnent pas.")


def _overlap_note(indicator, breakdown) -> str:
    """The breakdown's note, and when its rows overlap, the warning that fits what it counts."""
    if breakdown.exclusive:
        return breakdown.note
    overlap = OVERLAP_NOTE if indicator.people else OVERLAP_NOTE_THINGS
    return f"{breakdown.note} {overlap}".strip()


@dataclass(frozen=True)
class Result:
    indicator: Indicator
    period: Period
    #: The figure: the count, or what ``compute`` makes of it (None when it has no meaning:
    #: a share of no answer).
    value: int | Decimal | None
    #: The distinct records counted (what the drill-down lists for a user who sees them all).
    count: int
    breakdowns: tuple[BreakdownResult, ...] = ()
    extras: tuple[Extra, ...] = ()
    previous_period: Period | None = None
    previous_value: int | Decimal | None = None

    @property
    def unit(self) -> str:
        return self.indicator.unit

    @property
    def change(self) -> int | Decimal | None:
        """Value minus the previous period's (None when either is None: a share without
        any answer)."""
        if self.previous_value is None or self.value is None:
            return None
        return self.value - self.previous_value

    def as_dict(self) -> dict[str, Any]:
        """Plain data (numbers as numbers) for JSON and the other formats."""
        def number(value):
            return float(value) if isinstance(value, Decimal) else value

        def period(p: Period | None):
            return None if p is None else {"start": p.start.isoformat(),
                                           "end": p.end.isoformat(), "label": p.label}

        return {
            "name": self.indicator.name,
            "definition": self.indicator.definition,
            "version": self.indicator.version,
            "unit": self.unit,
            "period": period(self.period),
            "value": number(self.value),
            "count": self.count,
            "previous": {"period": period(self.previous_period),
                         "value": number(self.previous_value)},
            "breakdowns": {
                b.code: {"label": b.label, "exclusive": b.exclusive,
                         "note": b.note,
                         "rows": [{"key": r.key if r.key is None or isinstance(
                                       r.key, int | str) else str(r.key),
                                   "label": r.label, "value": r.value,
                                   **({} if r.amount is None else {"amount": number(r.amount)})}
                                  for r in b.rows]}
                for b in self.breakdowns
            },
            "extras": [{"label": e.label, "value": number(e.value), "unit": e.unit}
                       for e in self.extras],
        }


# --- The engine ------------------------------------------------------------------------------


def _population(indicator: Indicator, crt, period: Period) -> QuerySet:
    return indicator.population(crt, period)


def count(indicator: Indicator, *, crt, period: Period) -> int:
    """The distinct records counted: one aggregate query."""
    return _population(indicator, crt, period).order_by().aggregate(
        n=Count(indicator.counted, distinct=True))["n"]


def money(value) -> Decimal:
    """An amount in euros, two decimals (0 for nothing)."""
    return quantize(value or 0)


def value_of(indicator: Indicator, *, crt, period: Period, n: int) -> int | Decimal:
    if indicator.compute is None:
        return n
    return indicator.compute(crt=crt, period=period, count=n)


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in %, one decimal (None for a share of nothing)."""
    return quantize(Decimal(100) * part / whole, "0.1") if whole else None


def share_of(numerator: Callable[..., int], *, empty: Decimal | None = None):
    """``compute`` of a share (%) of the counted records: ``numerator(crt=, period=)`` of
    them; ``empty`` when nothing is counted."""
    def compute(*, crt, period: Period, count: int) -> Decimal | None:
        if not count:
            return empty
        return share(numerator(crt=crt, period=period), count)
    return compute


def value_and_numerator(indicator: Indicator, *, crt, period: Period,
                        n: int) -> tuple[int | Decimal | None, int | None]:
    """The value and, for a share with a declared ``numerator``, that numerator (None
    otherwise): the same queries as ``value_of``."""
    if indicator.numerator is None or not n:
        return value_of(indicator, crt=crt, period=period, n=n), None
    part = indicator.numerator(crt=crt, period=period)
    return share(part, n), part


def _is_empty(key) -> bool:
    return key is None or key == ""


def breakdown_rows(indicator: Indicator, breakdown: Breakdown, *, crt,
                   period: Period) -> BreakdownResult:
    """The rows of one breakdown: one grouped query (one aggregate for conditions)."""
    if breakdown.conditions is not None:
        return _condition_rows(indicator, breakdown, crt=crt, period=period)
    summed = {} if indicator.summed is None else {"amount": Sum(indicator.summed)}
    grouped = [
        (row["_category"], row["n"], row.get("amount"))
        for row in _population(indicator, crt, period).order_by()
        .annotate(_category=_expression(breakdown, period)).values("_category")
        .annotate(n=Count(indicator.counted, distinct=True), **summed).order_by()
    ]
    found = {key: n for key, n, _ in grouped}
    amounts = {key: amount for key, _, amount in grouped}

    def amount_of(*keys):
        if indicator.summed is None:
            return None
        return money(sum((amounts.get(k) or 0 for k in keys), Decimal(0)))

    # NULL and "" are one « empty » category.
    empty_keys = [key for key in found if _is_empty(key)]
    empty = sum(found[key] for key in empty_keys)
    found = {key: n for key, n in found.items() if not _is_empty(key)}
    rows = []
    labels = breakdown.labels(period) if callable(breakdown.labels) else breakdown.labels
    declared_empty = next((k for k in labels if _is_empty(k)), False)
    for key, label in labels.items():
        if _is_empty(key):
            rows.append(Row(None, label, empty, amount_of(*empty_keys)))
        else:
            rows.append(Row(key, label, found.pop(key, 0), amount_of(key)))
    rows += sorted((Row(key, str(key), n, amount_of(key)) for key, n in found.items()),
                   key=lambda r: r.label)
    if empty and declared_empty is False:
        rows.append(Row(None, breakdown.missing, empty, amount_of(*empty_keys)))
    note = _overlap_note(indicator, breakdown)
    return BreakdownResult(breakdown.code, breakdown.label, breakdown.exclusive, tuple(rows),
                           note)


def _condition_rows(indicator: Indicator, breakdown: Breakdown, *, crt,
                    period: Period) -> BreakdownResult:
    conditions = dict(breakdown.conditions(period))
    labels = breakdown.labels(period) if callable(breakdown.labels) else breakdown.labels
    keys = list(conditions)
    aggregates = {f"n{i}": Count(indicator.counted, distinct=True,
                                 filter=_as_q(conditions[key])) for i, key in enumerate(keys)}
    if indicator.summed is not None:
        aggregates.update({f"a{i}": Sum(indicator.summed, filter=_as_q(conditions[key]))
                           for i, key in enumerate(keys)})
    counts = _population(indicator, crt, period).order_by().aggregate(**aggregates)
    rows = tuple(Row(key, labels.get(key, str(key)), counts[f"n{i}"],
                     None if indicator.summed is None
                     else money(counts[f"a{i}"] or Decimal(0)))
                 for i, key in enumerate(keys))
    note = _overlap_note(indicator, breakdown)
    return BreakdownResult(breakdown.code, breakdown.label, breakdown.exclusive, rows, note)


def _as_q(condition) -> Q:
    return condition if isinstance(condition, Q) else Q(condition)


def _expression(breakdown: Breakdown, period: Period):
    expression = breakdown.expression(period)
    return F(expression) if isinstance(expression, str) else expression


def compute(indicator: Indicator, *, crt, period: Period,
            with_previous: bool = True) -> Result:
    """The indicator for ``crt`` over ``period``: value, breakdowns, extras and the previous
    period's value."""
    n = count(indicator, crt=crt, period=period)
    previous = period.previous() if with_previous else None
    previous_value = None
    if previous is not None:
        previous_value = value_of(indicator, crt=crt, period=previous,
                                  n=count(indicator, crt=crt, period=previous))
    extras = ()
    if indicator.extras is not None:
        extras = tuple(indicator.extras(crt=crt, period=period,
                                        population=_population(indicator, crt, period)))
    return Result(
        indicator=indicator, period=period,
        value=value_of(indicator, crt=crt, period=period, n=n), count=n,
        breakdowns=tuple(breakdown_rows(indicator, b, crt=crt, period=period)
                         for b in indicator.breakdowns),
        extras=extras, previous_period=previous, previous_value=previous_value,
    )


def compute_all(*, crt, period: Period, codes: Iterable[str] | None = None
                ) -> dict[str, Result]:
    """Every registered indicator (or those of ``codes``), in registry order."""
    wanted = None if codes is None else set(codes)
    return {code: compute(indicator, crt=crt, period=period)
            for code, indicator in registry().items() if wanted is None or code in wanted}


_ALL_ROWS = object()


def drilldown(indicator: Indicator, *, crt, period: Period, user, roles,
              breakdown: str | None = None, key: Any = _ALL_ROWS) -> QuerySet:
    """The records behind the figure (or behind one row of a breakdown) that ``user`` may see:
    the records of the counted key (people, enrolments…) among the population, through the
    owning app's access policy. Whoever shows them audits the read as for any list of
    records."""
    population = _population(indicator, crt, period).filter(
        pk__in=indicator.visible(crt=crt, user=user, roles=roles).values("pk"))
    if (breakdown is None) != (key is _ALL_ROWS):
        raise ValueError("A breakdown row is named by both its breakdown and its key.")
    if breakdown is not None and indicator.breakdown(breakdown).conditions is not None:
        population = population.filter(
            _as_q(indicator.breakdown(breakdown).conditions(period)[key]))
    elif breakdown is not None:
        b = indicator.breakdown(breakdown)
        population = population.annotate(_category=_expression(b, period))
        if not _is_empty(key):
            population = population.filter(_category=key)
        elif _accepts_text(population):
            population = population.filter(Q(_category__isnull=True) | Q(_category=""))
        else:
            population = population.filter(_category__isnull=True)
    model = population.model
    if not isinstance(indicator.counted, str):
        # A composite key: one record of the population per key, the first by primary key.
        first = (population.annotate(_key=indicator.counted).order_by().values("_key")
                 .annotate(_first=Min("pk")).values("_first"))
        return model.objects.filter(crt=crt, pk__in=first)
    if indicator.counted != "pk":
        model = model._meta.get_field(indicator.counted).related_model
    return model.objects.filter(crt=crt, pk__in=population.values(indicator.counted))


def _accepts_text(population: QuerySet) -> bool:
    """Whether the ``_category`` annotation is text (so that "" is an empty category too)."""
    from django.db.models import CharField, TextField

    field_ = population.query.annotations["_category"].output_field
    return isinstance(field_, CharField | TextField)


def quantiles(queryset: QuerySet, expression, fractions: Iterable[float],
              *, n: int | None = None) -> list[Any]:
    """Quantiles of ``expression`` over ``queryset``, by the database on SQLite and
    PostgreSQL alike: the rows are sorted by the database and only the one or two values
    around each rank are fetched (``n``, the number of rows, one more query when not given).
    The median (0.5) is the mean of the two middle values when ``n`` is even; any other
    fraction is the nearest rank (the ⌈f × n⌉-th value), as in INSEE's deciles tables.
    Returns None for each fraction over an empty set. Values as the database gives them
    (numbers, or ``timedelta`` for durations)."""
    import math

    ordered = queryset.order_by().annotate(_q=expression).order_by("_q").values_list(
        "_q", flat=True)
    if n is None:
        n = queryset.order_by().count()
    found = []
    for fraction in fractions:
        if not n:
            found.append(None)
        elif fraction == 0.5:
            middle = list(ordered[(n - 1) // 2:n // 2 + 1])
            found.append(middle[0] if len(middle) == 1 else (middle[0] + middle[1]) / 2)
        else:
            rank = max(1, math.ceil(fraction * n))
            found.append(ordered[rank - 1:rank][0])
    return found


def quantize(value, places: str = "0.01") -> Decimal:
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def today() -> date:
    return timezone.localdate()
