"""Regenerate the reference data in data/reference/ from the upstream copies.

    python tools/make_reference.py            # rewrite the two .ttl files
    python tools/make_reference.py --check    # exit 1 if they are out of date

Inputs (data/reference/upstream/, copied from the project's shared reference data):
- sdg/sdg-kos-goals-targets-indicators.ttl: the UN's SDG KOS (UNStats/LOD4Stats, commit 0ae578b)
- sdg/translations/<lang>/global_{goals,targets}.yml: open-sdg/sdg-translations (MIT)
- wikidata-qids.csv: Wikidata identifiers with how well each is supported

Outputs:
- data/reference/sdg-concepts.ttl: the KOS with its two known label defects
  corrected from the translations (12.3 and 14.6, see README) and goal and
  target titles added in Arabic, Russian and Chinese, so all six UN languages
  are present; with provenance and licence.
- data/reference/wikidata-links.ttl: skos:exactMatch to Wikidata for the
  organizations whose row is marked `confirmed`, and for no other.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import yaml
from rdflib import RDF, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "data" / "reference"
UP = REF / "upstream"
SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
DPK = Namespace("https://w3id.org/drugpolicy-kg/id/")
DPO = Namespace("https://w3id.org/drugpolicy-kg/ontology#")
LANGS = ["ar", "en", "es", "fr", "ru", "zh-Hans"]
KOS_LANGS = {"en", "es", "fr"}  # languages the KOS already labels
# Known defects in the KOS labels (data/reference/upstream/README-shared-data.md).
DEFECTIVE = {"12.3": {"en", "es", "fr"}, "14.6": {"en", "es", "fr"}}
# Organizations in our data, by the acronym the Wikidata table uses.
ORG_BY_ACRONYM = {
    "WHO": DPK["org-who"], "OAS": DPK["org-oas"], "CoE": DPK["org-coe"], "ILO": DPK["org-ilo"],
    "UNESCO": DPK["org-unesco"], "UNDP": DPK["org-undp"], "UNICEF": DPK["org-unicef"],
    "CND": DPK["org-cnd"], "IOM": DPK["org-iom"], "UNFPA": DPK["org-unfpa"],
    "UN-Habitat": DPK["org-un-habitat"], "OHCHR": DPK["org-ohchr"], "UNHCR": DPK["org-unhcr"],
    "UNODC": DPK["org-unodc"], "UNCTAD": DPK["org-unctad"], "CICAD": DPK["org-cicad"],
    "Pompidou Group": DPK["org-pompidou-group"], "ISN": DPK["isn"], "ITWG": DPK["itwg"],
}


def _titles(lang: str) -> dict[str, str]:
    """Map an SDG code ('3', '3.5') to its title in one language."""
    out: dict[str, str] = {}
    for name in ("global_goals.yml", "global_targets.yml"):
        with open(UP / "sdg" / "translations" / lang / name, encoding="utf-8") as fh:
            for key, value in (yaml.safe_load(fh) or {}).items():
                if key.endswith("-title") and value:
                    code = key[: -len("-title")].replace("-", ".")
                    out[code] = " ".join(str(value).split())
    return out


def sdg_concepts() -> Graph:
    kos = Graph().parse(UP / "sdg" / "sdg-kos-goals-targets-indicators.ttl")
    titles = {lang: _titles(lang) for lang in LANGS}
    g = Graph()
    g.bind("sdg", SDG)
    g.bind("sdgo", SDGO)
    for s, p, o in kos:
        code = str(s)[len(str(SDG)):] if str(s).startswith(str(SDG)) else None
        if p == SKOS.prefLabel and code in DEFECTIVE and getattr(o, "language", None) in DEFECTIVE[code]:
            continue
        g.add((s, p, o))
    for code, langs in DEFECTIVE.items():
        for lang in sorted(langs):
            g.add((SDG[code], SKOS.prefLabel, Literal(titles[lang][code], lang=lang)))
    concepts = set(kos.subjects(RDF.type, SDGO.Goal)) | set(kos.subjects(RDF.type, SDGO.Target))
    for concept in sorted(concepts):
        code = str(concept)[len(str(SDG)):]
        for lang in LANGS:
            if lang in KOS_LANGS:
                continue
            title = titles[lang].get(code)
            if title:
                g.add((concept, SKOS.prefLabel, Literal(title, lang=lang)))
    ds = DPK["dataset-sdg-concepts"]
    g.add((ds, RDF.type, PROV.Entity))
    g.add((ds, DCTERMS.title, Literal("UN SDG goals, targets and indicators, with titles in the six UN languages", lang="en")))
    g.add((ds, PROV.wasDerivedFrom, URIRef("http://metadata.un.org/sdg/void.ttl#SDG")))
    g.add((ds, PROV.wasDerivedFrom, URIRef("https://github.com/open-sdg/sdg-translations")))
    g.add((ds, DCTERMS.source, URIRef("https://github.com/UNStats/LOD4Stats")))
    g.add((ds, DCTERMS.license, Literal(
        "SDG KOS: free to copy and redistribute with the citation: Joshi, Gonzalez Morales, Klarman, Helton (2019). "
        "A Knowledge Organization System for the United Nations Sustainable Development Goals. http://metadata.un.org/sdg. "
        "Translations: MIT licence (open-sdg/sdg-translations).")))
    g.add((ds, DCTERMS.bibliographicCitation, Literal(
        "Joshi, Gonzalez Morales, Klarman, Helton (2019). A Knowledge Organization System for the United Nations "
        "Sustainable Development Goals. http://metadata.un.org/sdg")))
    g.add((ds, SKOS.note, Literal(
        "Labels of targets 12.3 and 14.6 in en, es and fr are taken from open-sdg/sdg-translations, "
        "because the KOS file truncates 12.3 and adds a stray '3' to 14.6.", lang="en")))
    return g


def wikidata_links() -> Graph:
    g = Graph()
    g.bind("skos", SKOS)
    ds = DPK["dataset-wikidata-links"]
    g.add((ds, RDF.type, PROV.Entity))
    g.add((ds, DCTERMS.title, Literal("Links from organizations to Wikidata, confirmed rows only", lang="en")))
    g.add((ds, DCTERMS.source, Literal("data/reference/upstream/wikidata-qids.csv")))
    g.add((ds, SKOS.note, Literal("Only rows whose status starts with 'confirmed' are linked; facts, no licence stated.", lang="en")))
    with open(UP / "wikidata-qids.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            org = ORG_BY_ACRONYM.get(row["acronym"])
            if org is None or not row["status"].startswith("confirmed"):
                continue
            qid = row["wikidata_qid"].strip()
            if not (qid.startswith("Q") and qid[1:].isdigit()):
                continue
            g.add((org, SKOS.exactMatch, URIRef(f"http://www.wikidata.org/entity/{qid}")))
    return g


OUTPUTS = {"sdg-concepts.ttl": sdg_concepts, "wikidata-links.ttl": wikidata_links}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if the committed files differ")
    args = ap.parse_args(argv)
    stale = []
    for name, make in OUTPUTS.items():
        graph = make()
        path = REF / name
        if args.check:
            if not path.exists() or not isomorphic(graph, Graph().parse(path)):
                stale.append(name)
            continue
        tmp = path.with_suffix(".tmp")
        graph.serialize(tmp, format="turtle", encoding="utf-8")
        tmp.replace(path)
        print(f"wrote {path.relative_to(ROOT)} ({len(graph)} triples)")
    if stale:
        print("out of date: " + ", ".join(stale) + "; run: .venv/bin/python tools/make_reference.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
