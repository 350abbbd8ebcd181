"""A table of results, printed as Markdown (for an issue or a pull request) or as the
reStructuredText `list-table` that docs/benchmarks.rst uses."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    """A title, column names and rows of cells (anything printable)."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        """Append a row; it must have one cell per column."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append([str(cell) for cell in cells])

    def render(self, style: str) -> str:
        """The table as `markdown` or `rst`."""
        return self.markdown() if style == "markdown" else self.rst()

    def markdown(self) -> str:
        """A bold title and a pipe table."""
        lines = [f"**{self.title}**", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        return "\n".join(lines)

    def rst(self) -> str:
        """A `list-table` directive with the title as its caption."""
        lines = [f".. list-table:: {self.title}", "   :header-rows: 1", ""]
        for row in [self.columns, *self.rows]:
            lines.append(f"   * - {row[0]}")
            lines.extend(f"     - {cell}" for cell in row[1:])
        return "\n".join(lines)
