"""Command-line sub-commands (no Qt): each module has ``add_arguments`` and ``run``."""
