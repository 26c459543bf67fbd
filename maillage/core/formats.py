"""Numbers as a French reader reads them, where no template filter formats them (labels built
in Python: an indicator's complements, a message)."""

from decimal import Decimal


def euros(value: Decimal) -> str:
    """« 12 345,67 € » (narrow no-break space for thousands, as the templates' ``2g``)."""
    return f"{value:,.2f} €".replace(",", "\u202f").replace(".", ",")
