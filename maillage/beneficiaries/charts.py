"""The series of a person's measures drawn server-side as inline SVG (no JavaScript): one line
chart per kind over the period, the person's thresholds as dashed lines. The template adds the
accessible parts (``<title>``, ``<desc>``, and the table of the same values)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from .models import VitalSign
from .vitals import KINDS, threshold_range

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 30


def _fmt(value) -> str:
    return f"{Decimal(value).normalize():f}".replace(".", ",")


def _moment(sign: VitalSign) -> str:
    return f"{timezone.localtime(sign.measured_at):%d/%m/%Y %H:%M}"


@dataclass
class Line:
    label: str
    css: str
    points: str
    dots: list[dict] = field(default_factory=list)


@dataclass
class Chart:
    kind: str
    label: str
    unit: str
    title: str
    desc: str
    lines: list[Line]
    thresholds: list[dict]
    y_ticks: list[dict]
    x_ticks: list[dict]
    #: The values as a table (the chart's accessible alternative), newest first.
    rows: list[VitalSign]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    bottom_y: int = HEIGHT - BOTTOM
    top: int = TOP


def _values(sign: VitalSign) -> dict[str, Decimal]:
    if sign.kind == VitalSign.Kind.BLOOD_PRESSURE:
        return {"systolic": Decimal(sign.systolic), "diastolic": Decimal(sign.diastolic)}
    return {"value": sign.value}


LINES = {"value": ("Mesure", "vital-line"), "systolic": ("Systolique", "vital-line"),
         "diastolic": ("Diastolique", "vital-line vital-line-second")}


def kind_chart(kind: str, signs: list[VitalSign], *, start: datetime, end: datetime,
               bounds: tuple) -> Chart:
    """The chart of ``signs`` (one kind, oldest first) between ``start`` and ``end``."""
    unit = threshold_range(kind)[2]
    label = KINDS[kind].label
    limits = [b for b in bounds if b is not None]
    numbers = [v for s in signs for v in _values(s).values()] + limits
    low, high = min(numbers), max(numbers)
    margin = (high - low) * Decimal("0.1") or Decimal(1)
    low, high = low - margin, high + margin
    span = (end - start).total_seconds() or 1

    def x(moment) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (moment - start).total_seconds() / span, 1)

    def y(value) -> float:
        return round(TOP + (HEIGHT - TOP - BOTTOM) * float((high - value) / (high - low)), 1)

    def line(key: str) -> Line:
        name, css = LINES[key]
        points = [(x(s.measured_at), y(_values(s)[key]), s) for s in signs]
        return Line(
            label=name, css=css, points=" ".join(f"{px},{py}" for px, py, _ in points),
            dots=[{"x": px, "y": py, "title": f"{_moment(s)} : {_fmt(_values(s)[key])} {unit}"}
                  for px, py, s in points])

    lines = [line(key) for key in _values(signs[0])]
    limits = [(word, value) for word, value in zip(("bas", "haut"), bounds, strict=True)
              if value is not None]
    thresholds = [{"y": y(value), "label": f"Seuil {word} : {_fmt(value)} {unit}"}
                  for word, value in limits]
    step = (high - low) / 4
    y_ticks = [{"y": y(low + step * i), "label": _fmt(round(low + step * i, 1))}
               for i in range(5)]
    x_ticks = [{"x": x(start + (end - start) * i / 4),
                "label": f"{timezone.localtime(start + (end - start) * i / 4):%d/%m}"}
               for i in range(5)]
    last = signs[-1]
    desc = (f"{len(signs)} mesure{'s' if len(signs) > 1 else ''} du "
            f"{timezone.localtime(start):%d/%m/%Y} au "
            f"{timezone.localtime(end):%d/%m/%Y} ; dernière : {last.display_value} le "
            f"{timezone.localtime(last.measured_at):%d/%m/%Y %H:%M}")
    if thresholds:
        # « seuil haut : 38 °C » (the unit keeps its capital: never ``lower()`` the label).
        desc += " ; " + ", ".join(f"seuil {word} : {_fmt(value)} {unit}"
                                  for word, value in limits)
    return Chart(kind=kind, label=label, unit=unit, title=f"{label} ({unit})", desc=desc + ".",
                 lines=lines, thresholds=thresholds, y_ticks=y_ticks, x_ticks=x_ticks,
                 rows=list(reversed(signs)))


def charts(signs: list[VitalSign], *, start: datetime, end: datetime,
           thresholds) -> list[Chart]:
    """One chart per kind measured in the period (``signs`` oldest first, no fall), in the
    order of ``VitalSign.Kind``."""
    by_kind: dict[str, list[VitalSign]] = {}
    for sign in signs:
        by_kind.setdefault(sign.kind, []).append(sign)
    return [kind_chart(kind, by_kind[kind], start=start, end=end,
                       bounds=thresholds.bounds(kind) if thresholds else (None, None))
            for kind in VitalSign.Kind.values if kind in by_kind and kind in KINDS]
