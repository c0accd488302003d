"""Where every resource lives. Side-effect free: nothing here reads a file.

A *project* is a folder holding ``ontology/``, ``data/`` and ``queries/``. The
default project is the one that ships with the package: inside the wheel it
is ``drugpolicy_kg/_resources``; in a checkout it is the repository root.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import quote

from drugpolicy_kg.errors import UsageError
from drugpolicy_kg.records import FrozenRecord

PACKAGE_DIR = Path(__file__).resolve().parent
BASE = "https://w3id.org/drugpolicy-kg/"
ONTOLOGY_IRI = BASE + "ontology"
DPO = BASE + "ontology#"
DPK = BASE + "id/"
GRAPH_BASE = BASE + "graph/"
# The journal of a review's files (atomic.write_all): present only while a review publishes them.
REVIEW_JOURNAL = ".review-journal.json"

PREFIXES = {
    "dpo": DPO,
    "dpk": DPK,
    "org": "http://www.w3.org/ns/org#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "bibo": "http://purl.org/ontology/bibo/",
    "undo": "https://w3id.org/un/ontology/undo/",
    "sdg": "http://metadata.un.org/sdg/",
    "sdgo": "http://metadata.un.org/sdg/ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "qb": "http://purl.org/linked-data/cube#",  # the programme plans' figures are RDF Data Cube observations
}
SHAPES_FILE = "shapes.ttl"
SOURCE_TEXT_NAME = r"[A-Za-z0-9._-]+\.txt"  # a dpo:textFile: a file name in data/sources/ (the shapes say the same)
CATALOG_FILE = "catalog-v001.xml"


BUILTIN_QUERIES = PACKAGE_DIR / "sparql" / "builtin"


@cache
def internal_query(name: str) -> str:
    """The text of one of the package's own SPARQL queries or updates (``sparql/builtin/NAME``).

    >>> "INSERT" in internal_query("derive-mandates.ru")
    True
    """
    return (BUILTIN_QUERIES / name).read_text(encoding="utf-8")


def default_root() -> Path:
    """The folder of the project that ships with the package.

    >>> (default_root() / "ontology").is_dir()
    True
    """
    bundled = PACKAGE_DIR / "_resources"
    if (bundled / "ontology").is_dir():
        return bundled
    return PACKAGE_DIR.parents[1]


class Project(FrozenRecord):
    """The folders of one project and the files in them.

    >>> p = Project.open()
    >>> p.shapes.name
    'shapes.ttl'
    """

    __slots__ = ("root",)  # root: Path

    @classmethod
    def open(cls, root: str | Path | None = None) -> Project:
        """Open ``root`` (default: the shipped project); fail clearly if it is not a project."""
        path = Path(root).expanduser().resolve() if root is not None else default_root()
        if not path.is_dir():
            raise UsageError(f"project folder not found: {path} (expected a folder holding ontology/, data/ and queries/)")
        missing = [d for d in ("ontology", "data") if not (path / d).is_dir()]
        if missing:
            raise UsageError(
                f"{path} is not a drugpolicy-kg project: missing {', '.join(m + '/' for m in missing)} "
                "(expected ontology/, data/ and queries/)"
            )
        return cls(path)

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def checks_dir(self) -> Path:
        return self.queries_dir / "checks"

    @property
    def sources_dir(self) -> Path:
        return self.data_dir / "sources"

    @property
    def shapes(self) -> Path:
        return self.ontology_dir / SHAPES_FILE

    @property
    def catalog(self) -> Path:
        return self.ontology_dir / CATALOG_FILE

    def ontology_files(self) -> list[Path]:
        """The project's own ontology files (not the shapes, not the imports)."""
        return sorted(p for p in self.ontology_dir.glob("*.ttl") if p.name != SHAPES_FILE)

    def data_files(self) -> list[Path]:
        """Curated data (``data/*.ttl``, ``data/*.nt``) and derived reference data (``data/reference/*.ttl``)."""
        own = sorted([*self.data_dir.glob("*.ttl"), *self.data_dir.glob("*.nt")])
        return own + self.reference_files()

    def reference_files(self) -> list[Path]:
        """Reference data (``data/reference/*.ttl``): vocabularies and identifiers with their own provenance, not
        facts read from a source document."""
        return sorted((self.data_dir / "reference").glob("*.ttl"))

    def vocabulary_graphs(self) -> set[str]:
        """The named graphs of the ontology, its imports and the reference data: where a subject may be typed as a
        concept, a concept scheme or a dataset (and so need no quote), and may lie outside the project's namespace.
        Every other file's graph holds facts from sources."""
        from drugpolicy_kg.graph.loader import import_files

        return {self.graph_iri(p) for p in [*self.ontology_files(), *import_files(self), *self.reference_files()]}

    def check_files(self) -> list[Path]:
        return sorted(self.checks_dir.glob("*-violation.rq"))

    def graph_iri(self, path: Path) -> str:
        """The named graph a file's triples go into: one per data file (so one per source document).

        >>> Project.open().graph_iri(Path("data/my file.ttl"))
        'https://w3id.org/drugpolicy-kg/graph/my%20file'
        """
        name = quote(path.stem, safe="-._~")  # any file name gives a valid IRI
        return GRAPH_BASE + (name if path.parent != self.ontology_dir / "imports" else "imports/" + name)


def source_text(sources_dir: Path, name: str) -> Path | None:
    """The text file a ``dpo:textFile`` names, or None where it names anything but a regular file in ``sources_dir``:
    a path ("/etc/passwd", "../x.txt") or a symbolic link out of the folder would make the quote check read, and the
    sites copy into their source pages, a file the data has no business with.

    >>> source_text(Path("/etc"), "passwd"), source_text(Path("/"), "../etc/x.txt")
    (None, None)
    """
    import re

    if not re.fullmatch(SOURCE_TEXT_NAME, name):
        return None
    path = sources_dir / name
    try:
        if path.resolve().parent != sources_dir.resolve() or not path.is_file():
            return None
    except OSError:  # a symbolic link loop
        return None
    return path
