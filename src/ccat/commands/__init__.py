"""The runners behind each command: resolve the inputs, run the engine, print, exit code.

`ccat.cli` parses; these run. Each `run_*_command(args, terminal)` is the only place its
command prints, and returns the exit code instead of exiting.
"""
