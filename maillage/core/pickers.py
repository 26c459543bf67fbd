"""Search-as-you-type pickers: a choice among many people (team members, the directory's
professionals) without listing them all in the page.

The field keeps a ``ModelChoiceField`` (validation by one indexed lookup of the chosen
``public_id``); its widget, ``SearchSelect``, shows a search box and only the relevant options:
the chosen one and the matches of the typed name (at most ``PICKER_LIMIT``). With JavaScript,
htmx asks a small fragment endpoint for the matches as one types; without it, the typed name is
submitted with the form and ``resolve_typed`` takes the single match, or shows the matches to
choose from."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string

PICKER_LIMIT = 20


def name_search(qs: QuerySet, query: str, fields: tuple[str, ...],
                limit: int = PICKER_LIMIT) -> QuerySet:
    """The rows of ``qs`` whose ``fields`` contain every word of ``query`` (at most 4 words),
    at most ``limit``."""
    words = query.replace("\x00", "").split()[:4]  # PostgreSQL's text holds no NUL
    if not words:
        return qs.none()
    for word in words:
        match = Q()
        for field in fields:
            match |= Q(**{f"{field}__icontains": word})
        qs = qs.filter(match)
    return qs[:limit]


def search_param(name: str) -> str:
    """The name of the typed text that goes with the choice field ``name``."""
    return f"{name}_q"


class SearchSelect(forms.RadioSelect):
    """Radio buttons over the relevant options only, under a search box (htmx)."""

    template_name = "core/widgets/search_select.html"

    def __init__(self, *, search_url: str = "", placeholder: str = "Tapez un nom…",
                 nothing: str = "Personne", several: str = "Plusieurs personnes", attrs=None):
        """``nothing`` / ``several``: what is searched, in the answers « Personne ne
        correspond à … », « Plusieurs personnes correspondent … » (« Aucune structure »,
        « Plusieurs structures » for organisations)."""
        super().__init__(attrs)
        self.search_url = search_url
        self.placeholder = placeholder
        self.nothing = nothing
        self.several = several
        self.search_value = ""
        self.searched = False

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        current = "" if value in (None, "", []) else str(
            value[0] if isinstance(value, list | tuple) else value)
        context["widget"].update({
            "search_name": search_param(name),
            "search_value": self.search_value,
            "search_url": self.search_url,
            "placeholder": self.placeholder,
            "described_by": context["widget"]["attrs"].get("aria-describedby", ""),
            "picker": picker_context(name=name, field_id=context["widget"]["attrs"].get(
                "id", f"id_{name}"), options=self.choices, current=current,
                searched=self.searched, query=self.search_value, nothing=self.nothing,
                required=self.is_required),
        })
        return context


def picker_context(*, name: str, field_id: str, options, current: str = "",
                   nothing: str, searched: bool = False, query: str = "",
                   required: bool = False) -> dict:
    """What the options fragment shows; ``nothing``: the widget's word for no match;
    ``required``: no « Aucun » to choose (the form would refuse it)."""
    return {
        "name": name, "id": field_id, "searched": searched, "query": query,
        "nothing": nothing, "required": required,
        "options": [(str(v), label, str(v) == current) for v, label in options if v != ""],
    }


def render_options(**kwargs) -> str:
    return render_to_string("core/widgets/_search_select_options.html",
                            {"picker": picker_context(**kwargs)})


class SearchPickerMixin:
    """For a form whose ``PICKERS`` map a ``SearchSelect`` field to ``(search fields, label)``:
    call ``setup_pickers(search_url)`` at the end of ``__init__`` (querysets set) and
    ``resolve_typed`` in ``clean``; ``matches`` feeds the fragment endpoint."""

    PICKERS: dict = {}

    def setup_pickers(self, search_url: str = "") -> None:
        for name, (fields, label) in self.PICKERS.items():
            self.fields[name].label_from_instance = label
            self.fields[name].widget.search_url = search_url
            self.limit_picker(name, search_fields=fields, label=label)

    def matches(self, name: str, query: str) -> list[tuple[str, str]]:
        """The options of the picker ``name`` for the typed ``query`` (the htmx fragment)."""
        fields, label = self.PICKERS[name]
        key = self.fields[name].to_field_name or "pk"
        return [(str(getattr(r, key)), label(r))
                for r in name_search(self.fields[name].queryset, query, fields)]

    def limit_picker(self, name: str, *, search_fields: tuple[str, ...], label) -> None:
        field = self.fields[name]
        qs = field.queryset
        key = field.to_field_name or "pk"
        widget = field.widget
        chosen = self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)
        typed = (self.data.get(self.add_prefix(search_param(name)), "") if self.is_bound
                 else "").replace("\x00", "").strip()
        if chosen is not None and hasattr(chosen, key):  # an instance as initial value
            chosen = getattr(chosen, key)
        rows = []
        if chosen:
            try:
                rows = list(qs.filter(**{key: chosen}))
            except (ValidationError, ValueError):
                rows = []
        if typed:
            rows += [r for r in name_search(qs, typed, search_fields) if r not in rows]
        widget.search_value = typed
        widget.searched = bool(typed)
        widget.choices = [(str(getattr(r, key)), label(r)) for r in rows]
        self._pickers = {**getattr(self, "_pickers", {}), name: (search_fields, typed)}

    def resolve_typed(self, cleaned: dict) -> None:
        """A name typed without choosing (no JavaScript): take the single match, or say why
        (in the words of the field's ``SearchSelect``). « Aucun », ticked, is a choice."""
        for name, (search_fields, typed) in getattr(self, "_pickers", {}).items():
            if cleaned.get(name) or not typed:
                continue
            if self.add_prefix(name) in self.data and not self.data.get(self.add_prefix(name)):
                continue  # « Aucun » ticked among the matches: no one, whatever was typed
            if name in self.errors:
                if self.data.get(self.add_prefix(name)):
                    continue  # a wrong choice: its own message stands
                del self._errors[name]  # "required", but a name was typed: resolve it
            matches = list(name_search(self.fields[name].queryset, typed, search_fields,
                                       limit=2))
            widget = self.fields[name].widget
            if len(matches) == 1:
                cleaned[name] = matches[0]
            elif not matches:
                self.add_error(name, f"{widget.nothing} ne correspond à « {typed} » : "
                                     "vérifiez l'orthographe.")
            else:
                self.add_error(name, f"{widget.several} correspondent : choisissez dans "
                                     "la liste.")


def picker_response(request, form, *, default: str):
    """The fragment of matches for the picker named by ``champ`` (400 for an unknown one)."""
    from django.http import HttpResponse

    name = request.GET.get("champ", default)
    if name not in form.PICKERS:
        return HttpResponse("Champ inconnu.", status=400)
    query = request.GET.get(search_param(name), "").strip()[:80]
    options = form.matches(name, query) if query else []
    return HttpResponse(render_options(name=name, field_id=f"id_{name}", options=options,
                                       searched=bool(query), query=query,
                                       nothing=form.fields[name].widget.nothing,
                                       required=form.fields[name].required))
