# The dpo:mandates shortcut: a resolution mandates what a mandate issued in it (or in one of its
# paragraphs) calls for or addresses. Only a provision whose verb directs action counts (a verb
# with dpo:directsAction true: requests, calls upon, urges, decides, encourages, invites, a
# legislative mandate); "recognizes", "welcomes", "takes note of" and "approves" do not, whatever
# class the provision was given. Run at build time over the default graph (the union of the
# project's graphs), into the derived graph and the default graph.
PREFIX dpo: <https://w3id.org/drugpolicy-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
INSERT { GRAPH <https://w3id.org/drugpolicy-kg/graph/derived> { ?res dpo:mandates ?target } ?res dpo:mandates ?target }
WHERE {
  ?m a dpo:Mandate ; dpo:issuedIn ?issuer ; dpo:verb ?verb .
  ?verb dpo:directsAction true .
  ?issuer dcterms:isPartOf* ?res .
  ?res a dpo:Resolution .
  { ?m dpo:calledFor ?target } UNION { ?m dpo:addresses ?target }
}
