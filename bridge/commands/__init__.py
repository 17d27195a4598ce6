"""Subcommands of the ``bridge`` command line, one module each (registered by ``bridge.cli``)."""
