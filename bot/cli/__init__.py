"""The command line: one module per command of `python -m bot`, each with `add_parsers` (its
subcommands, their handler set as a default) and the handler; `data` is how they all load the
event data and word its problems, `logs` how they all log."""
