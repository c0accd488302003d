"""Organizations a document names, matched to the graph's organizations and to the UN entity list.

A document names an organization in three ways: its name ("World Health Organization"), its
acronym ("WHO"), or both at once, the way UN documents introduce one ("United Nations Office on
Drugs and Crime (UNODC)"). The detector finds all three and gathers the mentions of one
organization into one candidate, quoting the sentence that names it most fully.

Matching is by the words the document uses, never by a guess:

- a name matches an organization of the graph or of the UN entity list that has that name
  (case and white space folded); an acronym matches one that has that acronym (case kept:
  "WHO", not "who");
- a name and an acronym given together that point at two different organizations, an acronym
  alone, and a "Name (ACRONYM)" pair that neither list knows are **uncertain**: the candidate
  says so in its note and carries a low confidence; a person decides, and nothing is merged
  silently.

The UN entity list (``data/reference/un-entities.csv``, from the UN System Chart navigator)
is reference data: it tells the reviewer which entity a name is, and it is never written into
the graph as a fact of the document.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

ACRONYM_FORM = re.compile(r"^[A-Z][A-Za-z0-9&\-]{1,14}$")
# "Long Name of Something (ACRONYM)": capitalised words (or words in capitals: "HIV/AIDS"), with the small words
# of names between them; no digits ("P-4 (GS)" is a staffing table's, not a name)
_WORD = r"(?:[A-Z][a-z][\w\u2019'\-]*|[A-Z]{2,}(?:/[A-Z]{2,})?)"
# A name has at most 20 capitalised words, with at most 3 small words between two: bounded, so a long run of
# capitalised words with no "(" after them costs linear time, not quadratic.
_NAME = (rf"{_WORD}(?:,? (?:(?:of|the|and|for|on|in|to|against|de|des|du|la|le|et) ){{0,3}}{_WORD}){{0,20}}")
PAIR = re.compile(rf"(?P<long>{_NAME}) \((?P<acr>[A-Z][A-Za-z0-9&\-]{{1,14}})\)")
# "ACRONYM (Long Name of Something)": the other order, the name wholly inside the brackets
PAIR_REVERSED = re.compile(rf"(?<![\w\-])(?P<acr>[A-Z][A-Za-z0-9&\-]{{1,14}}) \((?P<long>{_NAME})\)")
# a name neither list knows is taken for an organization's only when its last words say it is one
# ("... Task Force", "... Office"); a system, tool or campaign ("SHERLOC", "I2ES") is not an organization
BODY_WORDS = re.compile(r"\b(?:Office|Organi[sz]ation|Commission|Committee|Council|Board|Agency|Programme|Fund|Bank|"
                        r"Union|Institute|Centre|Center|Network|Group|Forum|Association|Federation|Authority|"
                        r"Conference|Court|Secretariat|Department|Division|Unit|Entity|Foundation|Alliance|Task Force|"
                        r"Mechanism|Assembly|Parliament|Tribunal|Service|Police|Ministry|University|Society)"
                        r"(?: (?:of|for|on|in|against) .+)?$")

def fold(name: str) -> str:
    """A name as it is compared: case folded, white space single, curly apostrophes straight."""
    return " ".join(name.replace("\u2019", "'").split()).casefold()


@dataclass
class Known:
    """One organization the detector can match: from the graph (``iri``) or the UN entity list (``entity``)."""

    name: str = ""
    acronyms: list[str] = field(default_factory=list)
    iri: str = ""        # the graph's node
    entity: str = ""     # the UN entity list's key (its acronym column)
    aliases: list[str] = field(default_factory=list)  # other names the entity list gives the graph's organization

    @property
    def key(self) -> str:
        return self.iri or f"un-entity:{self.entity}"

    @property
    def shown(self) -> str:
        acr = f" ({self.acronyms[0]})" if self.acronyms and self.name else (self.acronyms[0] if self.acronyms else "")
        return f"{self.name}{acr}"


class Index:
    """Names and acronyms -> organizations; the graph's first, the UN entity list's where the graph has none."""

    def __init__(self, known: list[Known]):
        self.known = known
        self.by_name: dict[str, Known] = {}
        self.by_acronym: dict[str, Known] = {}
        for k in known:  # the graph's come first: a name the graph has is the graph's node
            same = None
            if not k.iri:  # the entity list says which name and acronym go together: where the graph has either,
                same = next((g for g in [*(self.by_acronym.get(a) for a in k.acronyms),  # its other one is the
                                         self.by_name.get(fold(k.name))] if g is not None and g.iri), None)  # graph's too
                if same is not None:
                    same.entity = same.entity or k.entity
                    same.aliases.append(k.name)
            target = same or k
            if k.name and len(k.name.split()) >= 2:  # a one-word name ("Legal") is a word, not a name, in running text
                self.by_name.setdefault(fold(k.name), target)
            for a in k.acronyms:
                self.by_acronym.setdefault(a, target)
        names = sorted(self.by_name, key=len, reverse=True)
        acrs = sorted(self.by_acronym, key=len, reverse=True)
        self.name_re = re.compile(r"(?<![\w\-])(?:" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) + r")(?![\w\-])",
                                  re.IGNORECASE) if names else None
        self.acr_re = re.compile(r"(?<![\w/\-])(?:" + "|".join(map(re.escape, acrs)) + r")(?![\w/\-])") if acrs else None

    def name(self, text: str) -> Known | None:
        return self.by_name.get(fold(text))

    def acronym(self, text: str) -> Known | None:
        return self.by_acronym.get(text)


def from_graph(rows) -> list[Known]:
    """The graph's organizations from ``organization-names.rq`` rows (IRI, name, graph): a short name in capitals
    is an acronym, any other the name (the first in the graph's order)."""
    by_iri: dict[str, Known] = {}
    for iri, name, _g in rows:
        k = by_iri.setdefault(str(iri), Known(iri=str(iri)))
        name = str(name).strip()
        if ACRONYM_FORM.match(name) and sum(ch.isupper() for ch in name) >= 2:
            if name not in k.acronyms:
                k.acronyms.append(name)
        elif not k.name:
            k.name = name
    return list(by_iri.values())


def from_entity_list(path: Path) -> list[Known]:
    """The UN entity list: its ``entity`` (an acronym, or a name such as "Board of Auditors"), ``entity_long``
    and ``entity_aliases``; a missing file gives an empty list (the graph's organizations still match)."""
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            short, long = (row.get("entity") or "").strip(), (row.get("entity_long") or "").strip()
            if not short:
                continue
            acronyms = [short] if ACRONYM_FORM.match(short) and sum(ch.isupper() for ch in short) >= 2 else []
            acronyms += [a.strip() for a in re.split(r"[;|]", row.get("entity_aliases") or "")
                         if ACRONYM_FORM.match(a.strip()) and a.strip() not in acronyms]
            out.append(Known(name=long or short, acronyms=acronyms, entity=short))
    return out
