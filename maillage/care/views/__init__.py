"""Views of coordination, one module per topic (see ``care/urls.py``)."""
