# The dpo:mandates shortcut: a resolution mandates what a Mandate issued in it (or in one of its
# paragraphs) calls for or addresses. Run at build time over the union of the project's graphs
# (the USING clauses are added by the code, one per graph), into the derived graph.
PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
INSERT { GRAPH <https://w3id.org/drugpolicy-kg/graph/derived> { ?res dpo:mandates ?target } }
#USING
WHERE {
  ?m a dpo:Mandate ; dpo:issuedIn ?issuer .
  ?issuer dcterms:isPartOf* ?res .
  ?res a dpo:Resolution .
  { ?m dpo:calledFor ?target } UNION { ?m dpo:addresses ?target }
}
