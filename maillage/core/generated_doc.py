"""A page of ``docs/`` generated from the code: the command writes it, ``--check`` fails when
the committed page is stale (the tests run the check)."""

from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class GeneratedDocCommand(BaseCommand):
    #: The page written, the function that renders it, the command's name (for the message).
    page: Path
    render: Callable[[], str]
    name: str

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, check: bool = False, **options):
        text = type(self).render()
        if check:
            if not self.page.exists() or self.page.read_text() != text:
                raise CommandError(f"{self.page} is stale: run `uv run maillage {self.name}`.")
            self.stdout.write("À jour.")
            return
        self.page.write_text(text)
        self.stdout.write(f"Écrit : {self.page}")
