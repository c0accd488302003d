"""The HTML pages' one layout, one stylesheet and their scripts: Jinja2 templates with autoescaping.

Every page the package writes or serves (trace briefings, entity pages, source texts, the indexes, the question
pages, the network pages' surroundings, ``serve``'s query page) is a template in ``templates/`` that extends
``layout.html``; the code passes data, never markup. A value reaches a page only through the template, escaped.

Scripts are static files in ``templates/static/``; a page that runs one inline allows exactly that file by its
SHA-256 hash in its Content-Security-Policy (computed here from the file, so an edit of the script cannot leave a
stale hash behind), and nothing else.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = TEMPLATES / "static"


@functools.cache
def environment():
    """The Jinja2 environment of every page: autoescaping on, an unknown name an error, the stylesheet as ``css``."""
    import jinja2

    # (auto_reload off: the templates are the package's own files, read once; on, every page asked the file system
    # for each template's time, 48,000 pages at a million triples: about 1 s of getmtime)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, auto_reload=False)
    env.template_class = template_class()
    env.globals.update(css=stylesheet())
    return env


def stylesheet():
    """The package's stylesheet, as a page writes it inside ``<style>``: verbatim, not HTML-escaped (in a style
    element, "&gt;" is not ">": escaped, the rule ``#dpk-main > .card`` of every network page was no rule at all). It
    is the package's own file, never data; one that could end its element is refused."""
    import markupsafe

    text = (TEMPLATES / "site.css").read_text(encoding="utf-8")
    if "</" in text or "<!--" in text:
        raise ValueError(f"{TEMPLATES / 'site.css'}: '</' or '<!--' would end or break the style element it is written in")
    return markupsafe.Markup(text)  # noqa: S704 - the package's own file, checked above: no data


def escape(value):
    """What ``markupsafe.escape`` gives, the same text of the same type (Markup), made without its Python-level
    ``Markup.__new__`` for a plain string (the value a page escapes nearly always is one): half the time a value,
    and autoescaping escapes every value a page shows (at a million triples, 4 million values in the trace pages
    alone; escaping them was a third of the time those pages took to render)."""
    kind = type(value)
    if kind is str and _ESCAPE_TEXT is not None:
        return _NEW_TEXT(_MARKUP, _ESCAPE_TEXT(value))
    if kind is int or kind is float:  # (a number's text has nothing to escape: a quote's number, a count)
        return _NEW_TEXT(_MARKUP, str(value))
    return _markupsafe_escape(value)


def _markupsafe_parts():
    import markupsafe

    # (markupsafe's own escaping of a plain string, in C where it was built so, as markupsafe.escape calls it; a
    # markupsafe without it: its escape as it is)
    return markupsafe.Markup, getattr(markupsafe, "_escape_inner", None), markupsafe.escape


_MARKUP, _ESCAPE_TEXT, _markupsafe_escape = _markupsafe_parts()
_NEW_TEXT = str.__new__


@functools.cache
def template_class():
    """A Jinja2 template class whose autoescaping (the ``escape`` of each compiled template's module) is
    :func:`escape`; any other escaping (the ``|e`` filter, ``Markup`` itself) stays markupsafe's."""
    import jinja2

    class Template(jinja2.Template):
        @classmethod
        def from_code(cls, environment, code, globals, uptodate=None):  # noqa: A002 - Jinja2's name
            made = super().from_code(environment, code, globals, uptodate)
            made.root_render_func.__globals__["escape"] = escape  # the module's namespace: every macro and block too
            return made

    return Template


@functools.cache
def script(name: str) -> str:
    """The text of the static script ``templates/static/<name>.js`` (a file of the package, never data)."""
    return (STATIC / f"{name}.js").read_text(encoding="utf-8").rstrip("\n")


def script_hash(text: str) -> str:
    """The CSP source that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@functools.cache  # (the same few policies for every page: each hash made once, not once a page)
def document_csp(scripts: tuple[str, ...] = ()) -> str:
    """The policy of a standalone document page: nothing loaded, inline style, and only the named static scripts,
    each allowed by its hash."""
    allowed = " ".join(script_hash(script(s)) for s in scripts) or "'none'"
    return (f"default-src 'none'; style-src 'unsafe-inline'; script-src {allowed}; base-uri 'none'; "
            "form-action 'none'")


def render(template: str, **data) -> str:
    """Render ``template`` with ``data`` (text, numbers, lists and dicts of them)."""
    return environment().get_template(template).render(**data)


def document(template: str, title: str, nav: list[tuple[str, str]], scripts: tuple[str, ...] = ("print",),
             **data) -> str:
    """A standalone document page (class ``doc``): ``nav`` as (href, text) pairs, the named static scripts inline,
    allowed by their hashes."""
    return render(template, **_document_data(title, nav, scripts), **data)


def document_chunks(template: str, title: str, nav: list[tuple[str, str]], scripts: tuple[str, ...] = ("print",),
                    **data):
    """:func:`document`'s page a piece at a time (Jinja2's ``generate``), for a page too large to hold whole: the
    index of a million triples' 365,000 entities, 22 MB, had taken 265 MB more of its process for a moment."""
    return environment().get_template(template).generate(**_document_data(title, nav, scripts), **data)


def _document_data(title: str, nav: list[tuple[str, str]], scripts: tuple[str, ...]) -> dict:
    """What the layout of a document page takes besides the page's own data."""
    return {"title": title, "nav": nav, "page_class": "doc", "csp": document_csp(scripts),
            "scripts": [script(s) for s in scripts]}


def json_for_script(data) -> str:
    """JSON safe inside ``<script type="application/json">``: no '<', '>' or '&' can end the element."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
