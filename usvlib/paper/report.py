"""Readable reports of a run: every executed notebook as HTML, and an index linking them.

A reader without Jupyter opens ``reports/index.html`` of a run: one page per notebook (its text,
code, printed numbers and figures, rendered by nbconvert; the figures are embedded, so a page
can be mailed on its own) and the run's numbers table.
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path

from usvlib._io import atomic_path


def render_notebooks(executed: list[Path], reports_dir: Path, *, title: str, numbers: Path | None = None) -> Path:
    """Render executed notebooks to HTML and write an ``index.html`` that links them.

    Parameters
    ----------
    executed : list of Path
        Executed notebooks (``.ipynb``), in the order the index lists them.
    reports_dir : Path
        Where ``<notebook>.html`` and ``index.html`` are written (atomically, each).
    title : str
        The index page's heading (e.g. the profile and the data).
    numbers : Path, optional
        The run's ``NUMBERS.md``, linked from the index (relative to it).

    Returns
    -------
    Path
        ``index.html``.
    """
    from nbconvert import HTMLExporter

    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    rows = []
    for notebook in executed:
        body, _ = exporter.from_filename(str(notebook))
        page = reports_dir / f"{notebook.stem}.html"
        with atomic_path(page) as tmp:
            Path(tmp).write_text(body, encoding="utf-8")
        rows.append(f'<li><a href="{html.escape(page.name)}">{html.escape(notebook.stem)}</a></li>')
    links = "\n".join(rows)
    numbers_link = ""
    if numbers is not None and Path(numbers).is_file():
        relative = os.path.relpath(Path(numbers).resolve(), reports_dir.resolve())
        numbers_link = f'<p>Every number of the run: <a href="{html.escape(relative)}">{html.escape(relative)}</a></p>'
    index = reports_dir / "index.html"
    with atomic_path(index) as tmp:
        Path(tmp).write_text(
            "<!doctype html>\n<html><head><meta charset='utf-8'><title>"
            + html.escape(title)
            + "</title></head><body>\n<h1>"
            + html.escape(title)
            + "</h1>\n<p>Rendered "
            + time.strftime("%Y-%m-%d %H:%M")
            + " from the executed notebooks.</p>\n"
            + numbers_link
            + "\n<ol>\n"
            + links
            + "\n</ol>\n</body></html>\n",
            encoding="utf-8",
        )
    return index
