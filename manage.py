#!/usr/bin/env python
"""Django's command-line utility; ``uv run maillage <command>`` does the same."""

from maillage.cli import main

if __name__ == "__main__":
    main()
