"""The rendered course: one static HTML page per notebook and an index with the course map.

    python -m course_lib editions --out DIR --site         # DIR/site/index.html and DIR/site/NN_name.html

Pages are nbconvert's ``lab`` template with each notebook's stored outputs (pictures embedded, widget state
included so sliders show their saved view) and a bar linking the previous chapter, the index and the next.
The index lists every notebook with its title, the time a class needs, the minutes its computing took in the
stored run (``metadata.course.minutes``, written by ``benchmarks/notebook_times.py --store``) and what it
builds on. MathJax, require.js and the widget manager come from ``data_scripts/get_site_assets.py``'s cache
and are copied beside the pages, so the site works without internet; without that cache the pages fall back
to nbconvert's CDN addresses (and say so).
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import List, Optional

from .editions import check_outputs, instructor_notebook, source_notebooks, student_notebook, write_text

ASSETS = Path.home() / ".cache" / "course_lib" / "site_assets"
SYLLABUS = Path(__file__).resolve().parents[1] / "docs" / "syllabus.md"
_STYLE = (
    "nav.course{font:15px system-ui,sans-serif;padding:8px 16px;background:#f3f5f7;border-bottom:1px solid #ccd;"
    "display:flex;gap:24px}nav.course a{color:#0b5cad;text-decoration:none}"
)


def chapter_info(nb, path: Path) -> dict:
    """Title, class time, stored computing minutes and prerequisites of one notebook (from its first cell)."""
    first = nb.cells[0].source if nb.cells else ""
    lines = first.splitlines()
    title = lines[0].lstrip("# ").strip() if lines else path.stem

    def field(name):
        for line in lines:
            if line.startswith(f"**{name}:**"):
                return line.split(":**", 1)[1].strip()
        return ""

    time_text = field("Time")
    match = re.search(r"about (\d+) minutes in class", time_text)
    course = nb.metadata.get("course", {})
    return {
        "file": path.stem + ".html",
        "title": title,
        "class_minutes": int(match.group(1)) if match else None,
        "computing_minutes": course.get("minutes", {}),
        "builds_on": field("Builds on"),
    }


def _markdown_inline(text: str) -> str:
    """Backticks and bold of a one-line Markdown field as HTML (escaped otherwise)."""
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)


def _nav(prev: Optional[dict], nxt: Optional[dict]) -> str:
    left = f'<a href="{prev["file"]}">&larr; {html.escape(prev["title"])}</a>' if prev else "<span></span>"
    right = f'<a href="{nxt["file"]}">{html.escape(nxt["title"])} &rarr;</a>' if nxt else "<span></span>"
    return f'<nav class="course">{left}<a href="index.html">Course map</a>{right}</nav>'


def _exporter(local_assets: bool):
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    if local_assets:
        exporter.require_js_url = "assets/require.js"
        exporter.mathjax_url = "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
        exporter.widget_renderer_url = "assets/html-manager/embed-amd.js"
    return exporter


def index_page(chapters: List[dict], edition: str) -> str:
    rows = []
    for ch in chapters:
        minutes = ch["computing_minutes"]
        computing = " / ".join(f"{minutes[b]:.1f} ({b})" for b in ("class", "ci") if b in minutes) or "not measured"
        rows.append(
            f'<tr><td><a href="{ch["file"]}">{html.escape(ch["title"])}</a></td>'
            f'<td>{ch["class_minutes"] or ""}</td><td>{computing}</td>'
            f"<td>{_markdown_inline(ch['builds_on'])}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Modern image restoration with MindSpore</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #dde;padding:6px 10px;vertical-align:top;text-align:left}}
code{{background:#f3f5f7;padding:0 3px}}</style></head>
<body><h1>Modern image restoration with MindSpore</h1>
<p>Five published methods, each built from its primitives and shown working first: AECR-Net (compact dehazing),
CSD (super-resolution compression), Zero-DCE / Zero-DCE++ (low light), KTDN / SRKTDN (non-homogeneous dehazing)
and the NTIRE 2022 efficient HDR network. Every notebook opens with the result of the course weights, then builds
the method's pieces by hand and checks each against the library and NumPy. This is the <b>{edition}</b> edition.</p>
<h2>Course map</h2>
<p>Ten weeks of lectures, labs and assessment: <a href="syllabus.html">the syllabus</a>.</p>
<table><tr><th>notebook</th><th>class minutes</th><th>computing minutes (stored run)</th><th>builds on</th></tr>
{chr(10).join(rows)}
</table>
<p>Run a notebook yourself: <code>pip install -e ".[lab]"</code> in a clone of the repository, then
<code>jupyter lab notebooks/</code>. Computing minutes were measured on a 2-core laptop CPU
(<code>benchmarks/notebook_times.py</code>).</p>
</body></html>
"""


def build_site(out: Path, folder: Optional[Path] = None, edition: str = "student") -> List[Path]:
    """Write ``out/index.html`` and one page per notebook of ``edition`` ('student' or 'instructor')."""
    import nbformat

    if edition not in ("student", "instructor"):
        raise ValueError(f"edition must be 'student' or 'instructor', got {edition!r}")
    out = Path(out)
    check_outputs(out.parent, (out.name,))
    out.mkdir(parents=True, exist_ok=True)
    local = (ASSETS / "require.js").is_file()
    if local:
        shutil.copytree(ASSETS, out / "assets", dirs_exist_ok=True)
    else:
        print("note: no site assets in ~/.cache/course_lib/site_assets; pages load MathJax and widgets from "
              "CDNs (python data_scripts/get_site_assets.py makes the site work offline)")  # fmt: skip
    make = student_notebook if edition == "student" else instructor_notebook
    paths = source_notebooks(folder) if folder else source_notebooks()
    notebooks = [make(nbformat.read(p, as_version=4)) for p in paths]
    chapters = [chapter_info(nb, p) for nb, p in zip(notebooks, paths)]
    exporter = _exporter(local)
    written = []
    for k, (nb, ch) in enumerate(zip(notebooks, chapters)):
        body, _ = exporter.from_notebook_node(nb)
        nav = _nav(chapters[k - 1] if k else None, chapters[k + 1] if k + 1 < len(chapters) else None)
        body = body.replace("</head>", f"<style>{_STYLE}</style></head>", 1)
        body = re.sub(r"(<body[^>]*>)", lambda m, nav=nav: m.group(1) + nav, body, count=1)
        body = body.replace("</body>", nav + "</body>", 1)
        target = out / ch["file"]
        write_text(target, body)
        written.append(target)
    write_text(out / "index.html", index_page(chapters, edition))
    write_text(out / "syllabus.html", syllabus_page())
    return [out / "index.html", out / "syllabus.html"] + written


def syllabus_page() -> str:
    """``docs/syllabus.md`` as a page of the site, its links to ``../notebooks/NN_name.ipynb`` turned into pages."""
    import mistune

    text = re.sub(r"\.\./notebooks/(\w+)\.ipynb", r"\1.html", SYLLABUS.read_text(encoding="utf-8"))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Syllabus</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #dde;padding:6px 10px;vertical-align:top;text-align:left}}
code{{background:#f3f5f7;padding:0 3px}}{_STYLE}</style></head>
<body>{_nav(None, None)}{mistune.html(text)}</body></html>
"""
