"""Use cases: one module per command, callable without the CLI; generator/cli.py only parses, calls and prints."""
