"""What `ccat pat` shows: formatters that turn the engines' records into tables, lines,
JSON and Markdown, and the listeners that draw progress.

Formatters are pure: they return renderables or strings and never print; the command
runners choose one and print what it returns. Every text that did not come from us (a
server's message, anything read from the journal) goes through `text.shown` first.
"""
