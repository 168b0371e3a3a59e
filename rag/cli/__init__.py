"""Command-line interface (``ragloom``)."""
