"""Documentation of the project's ontology, generated from the ontology itself: one HTML page.

pyLODE was the first choice; its current wheel (3.4.1) fails on import (it reads a ``pyproject.toml`` that the
wheel does not ship), so the project writes its own: the ontology's metadata, then every class and property
of the ``dpo:`` namespace with its label, definition, notes, super- and sub-classes (or -properties), domain
and range, each with an anchor (``ontology.html#Mandate``) that the namespace's w3id redirect can point at.
Everything shown comes from the ontology file; every value is escaped; the page loads nothing.
"""

from __future__ import annotations

from pathlib import Path

from drugpolicy_kg.resources import PREFIXES

CSP = "default-src 'none'; style-src 'unsafe-inline'"
KINDS = (("Classes", "http://www.w3.org/2002/07/owl#Class"),
         ("Object properties", "http://www.w3.org/2002/07/owl#ObjectProperty"),
         ("Datatype properties", "http://www.w3.org/2002/07/owl#DatatypeProperty"),
         ("Annotation properties", "http://www.w3.org/2002/07/owl#AnnotationProperty"))


def ontology_html(path: Path) -> str:
    """The page (``templates/ontology.html``): the ontology's metadata, then each kind of term of ``dpo:``."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

    from drugpolicy_kg.pages import render

    g = Graph().parse(path)
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

    def term(iri) -> dict:  # a term of dpo: links to its section; any other is named (the site works offline)
        iri = str(iri)
        return {"iri": iri, "short": short(iri), "anchor": iri[len(dpo):] if iri.startswith(dpo) else ""}

    onto = next(g.subjects(RDF.type, OWL.Ontology), None)
    about = None
    if onto is not None:
        about = {"iri": str(onto), "version": text(onto, OWL.versionInfo), "namespace": dpo,
                 "description": text(onto, DCTERMS.description),
                 "licences": [term(x) for x in g.objects(onto, DCTERMS.license)],
                 "imports": [term(x) for x in sorted(g.objects(onto, OWL.imports), key=str)]}
    sections = []
    for title, kind in KINDS:
        found = sorted((t for t in g.subjects(RDF.type, URIRef(kind)) if str(t).startswith(dpo)), key=str)
        if not found:
            continue
        items = []
        for t in found:
            local = str(t)[len(dpo):]
            texts = [(label, text(t, pred)) for label, pred in
                     (("Definition", SKOS.definition), ("Comment", RDFS.comment), ("Note", SKOS.scopeNote)) if text(t, pred)]
            links = []
            for label, pred, rev in (("Subclass of", RDFS.subClassOf, False), ("Superclass of", RDFS.subClassOf, True),
                                     ("Subproperty of", RDFS.subPropertyOf, False), ("Domain", RDFS.domain, False),
                                     ("Range", RDFS.range, False), ("Inverse of", OWL.inverseOf, False)):
                vals = [v for v in sorted(g.subjects(pred, t) if rev else g.objects(t, pred), key=str)
                        if isinstance(v, URIRef)]
                if vals:
                    links.append((label, [term(v) for v in vals]))
            if kind.endswith("#Class"):
                used = sorted(g.subjects(RDFS.domain, t), key=str)
                if used:
                    links.append(("Properties with this domain", [term(p) for p in used]))
            items.append({"local": local, "label": text(t, RDFS.label) or local, "short": short(t), "texts": texts,
                          "links": links})
        sections.append({"title": title, "anchor": title.lower().replace(" ", "-"), "terms": items})
    title = text(onto, DCTERMS.title) if onto is not None else "Ontology"
    return render("ontology.html", title=title, nav=[], csp=CSP, page_class="ontology", onto=about,
                  sections=sections)


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
