"""Documentation of the project's ontology, generated from the ontology itself: one HTML page.

pyLODE was the first choice; its current wheel (3.4.1) fails on import (it reads a ``pyproject.toml`` that the
wheel does not ship), so the project writes its own: the ontology's metadata, then every class and property
of the ``dpo:`` namespace with its label, definition, notes, super- and sub-classes (or -properties), domain
and range, each with an anchor (``ontology.html#Mandate``) that the namespace's w3id redirect can point at.
Everything shown comes from the ontology file; every value is escaped; the page loads nothing.
"""

from __future__ import annotations

import html
from pathlib import Path

from drugpolicy_kg.resources import PREFIXES

CSP = "default-src 'none'; style-src 'unsafe-inline'"
KINDS = (("Classes", "http://www.w3.org/2002/07/owl#Class"),
         ("Object properties", "http://www.w3.org/2002/07/owl#ObjectProperty"),
         ("Datatype properties", "http://www.w3.org/2002/07/owl#DatatypeProperty"),
         ("Annotation properties", "http://www.w3.org/2002/07/owl#AnnotationProperty"))


def ontology_html(path: Path) -> str:
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

    g = Graph().parse(path)
    e = html.escape
    dpo = PREFIXES["dpo"]

    def short(iri) -> str:
        iri = str(iri)
        for p, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if iri.startswith(ns) and iri != ns:
                return f"{p}:{iri[len(ns):]}"
        return iri

    def text(node, pred) -> str:
        vals = sorted(str(v) for v in g.objects(node, pred) if getattr(v, "language", None) in (None, "en"))
        return vals[0] if vals else ""

    def link(iri) -> str:
        iri = str(iri)
        if iri.startswith(dpo):
            local = iri[len(dpo):]
            return f'<a href="#{e(local)}"><code>{e(short(iri))}</code></a>'
        return f'<code title="{e(iri)}">{e(short(iri))}</code>'  # (the site works offline: no link leaves it)

    onto = next(g.subjects(RDF.type, OWL.Ontology), None)
    head = ""
    if onto is not None:
        rows = [("IRI", f"<code>{e(str(onto))}</code>"), ("Version", e(text(onto, OWL.versionInfo))),
                ("Licence", " ".join(link(x) for x in g.objects(onto, DCTERMS.license))),
                ("Namespace", f"<code>{e(dpo)}</code> (prefix <code>dpo</code>)"),
                ("Imports", ", ".join(link(x) for x in sorted(g.objects(onto, OWL.imports), key=str)))]
        head = (f"<p>{e(text(onto, DCTERMS.description))}</p><table>"
                + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>")
    sections, toc = [], []
    for title, kind in KINDS:
        terms = sorted((t for t in g.subjects(RDF.type, URIRef(kind)) if str(t).startswith(dpo)), key=str)
        if not terms:
            continue
        anchor = title.lower().replace(" ", "-")
        toc.append(f'<li><a href="#{anchor}">{e(title)}</a> ({len(terms)})</li>')
        items = []
        for t in terms:
            local = str(t)[len(dpo):]
            facts = []
            for label, pred in (("Definition", SKOS.definition), ("Comment", RDFS.comment), ("Note", SKOS.scopeNote)):
                if text(t, pred):
                    facts.append((label, e(text(t, pred))))
            for label, pred, rev in (("Subclass of", RDFS.subClassOf, False), ("Superclass of", RDFS.subClassOf, True),
                                     ("Subproperty of", RDFS.subPropertyOf, False), ("Domain", RDFS.domain, False),
                                     ("Range", RDFS.range, False), ("Inverse of", OWL.inverseOf, False)):
                vals = sorted(g.subjects(pred, t) if rev else g.objects(t, pred), key=str)
                vals = [v for v in vals if isinstance(v, URIRef)]
                if vals:
                    facts.append((label, ", ".join(link(v) for v in vals)))
            if kind.endswith("#Class"):
                used = sorted((p for p in g.subjects(RDFS.domain, t)), key=str)
                if used:
                    facts.append(("Properties with this domain", ", ".join(link(p) for p in used)))
            body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts)
            items.append(f'<section id="{e(local)}"><h3>{e(text(t, RDFS.label) or local)} '
                         f"<code>{e(short(t))}</code></h3><table>{body}</table></section>")
        sections.append(f'<h2 id="{anchor}">{e(title)}</h2>' + "".join(items))
    title = text(onto, DCTERMS.title) if onto is not None else "Ontology"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}"><title>{e(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4;color:#222}}
table{{border-collapse:collapse;margin:.3rem 0 1rem}} th{{text-align:left;vertical-align:top;padding:.2rem .8rem .2rem 0;
color:#555;font-weight:600;white-space:nowrap}} td{{padding:.2rem 0}} section{{border-top:1px solid #ddd;padding-top:.4rem}}
section:target{{background:#f4f7fb}} code{{font-size:.9em}}</style></head><body>
<h1>{e(title)}</h1>{head}<ul>{''.join(toc)}</ul>{''.join(sections)}
<p>Generated from <code>ontology/drugpolicy.ttl</code> by <code>drugpolicy-kg build</code>.</p></body></html>
"""


def htaccess(base: str) -> str:
    """Redirect rules for https://w3id.org/drugpolicy-kg/ in the form w3id.org takes (an .htaccess for its
    repository, perma-id/w3id.org, folder ``drugpolicy-kg``), sending each part of the namespace to where the
    built files are published (``base``, given by the publisher: the project does not host them itself)."""
    base = base.rstrip("/") + "/"
    return f"""# w3id.org/drugpolicy-kg: redirects to {base}
# Submit this file as drugpolicy-kg/.htaccess to https://github.com/perma-id/w3id.org (a pull request).
Header set Access-Control-Allow-Origin *
Options +FollowSymLinks
RewriteEngine on

# the ontology: Turtle to machines that ask for it, its documentation to browsers
RewriteCond %{{HTTP_ACCEPT}} text/turtle [OR]
RewriteCond %{{HTTP_ACCEPT}} application/rdf\\+xml
RewriteRule ^ontology$ {base}ontology/drugpolicy.ttl [R=303,L]
RewriteRule ^ontology$ {base}ontology.html [R=303,L]

# the dataset's description and its dumps
RewriteRule ^dataset$ {base}dataset.ttl [R=303,L]
RewriteRule ^dump/(.+)$ {base}$1 [R=303,L]

# entities: their trace pages (the site's file names are the IRIs' last parts)
RewriteRule ^id/(.+)$ {base}traces/$1.html [R=303,L]
RewriteRule ^graph/(.+)$ {base}drugpolicy-kg.trig [R=303,L]
RewriteRule ^$ {base} [R=302,L]
"""
