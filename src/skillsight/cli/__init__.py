"""Typer command-line interface: thin wrappers over library calls, one module per command group."""
