# The dataset's counts, computed on the built store (data/dataset.ttl says the rest): the triples of each named
# graph of data and the entities of each class, then the union's entities, and last the union's triples, counted as
# the published dump holds them: with this description, its counts included (the triple that states the count is
# the one not yet in the store when it is counted, hence + 1). Into the graph
# <https://w3id.org/drugpolicy-kg/graph/dataset> and the default graph (the union).
PREFIX void: <http://rdfs.org/ns/void#>
PREFIX sd: <http://www.w3.org/ns/sparql-service-description#>
INSERT {
  GRAPH <https://w3id.org/drugpolicy-kg/graph/dataset> {
    <https://w3id.org/drugpolicy-kg/dataset> void:subset ?sub . ?sub a void:Dataset ; sd:name ?g ; void:triples ?n . }
  <https://w3id.org/drugpolicy-kg/dataset> void:subset ?sub . ?sub a void:Dataset ; sd:name ?g ; void:triples ?n .
} WHERE {
  { SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <https://w3id.org/drugpolicy-kg/graph/dataset>) }
    GROUP BY ?g }
  BIND(IRI(CONCAT("https://w3id.org/drugpolicy-kg/dataset/graph/", ENCODE_FOR_URI(STR(?g)))) AS ?sub)
} ;
INSERT {
  GRAPH <https://w3id.org/drugpolicy-kg/graph/dataset> {
    <https://w3id.org/drugpolicy-kg/dataset> void:classPartition ?cp . ?cp void:class ?class ; void:entities ?n . }
  <https://w3id.org/drugpolicy-kg/dataset> void:classPartition ?cp . ?cp void:class ?class ; void:entities ?n .
} WHERE {
  { SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?class } GROUP BY ?class }
  BIND(IRI(CONCAT("https://w3id.org/drugpolicy-kg/dataset/class/", ENCODE_FOR_URI(STR(?class)))) AS ?cp)
} ;
INSERT {
  GRAPH <https://w3id.org/drugpolicy-kg/graph/dataset> { <https://w3id.org/drugpolicy-kg/dataset> void:entities ?entities . }
  <https://w3id.org/drugpolicy-kg/dataset> void:entities ?entities .
} WHERE {
  { SELECT (COUNT(DISTINCT ?e) AS ?entities) WHERE { ?e ?p ?o FILTER(STRSTARTS(STR(?e), "https://w3id.org/drugpolicy-kg/id/")) } }
} ;
INSERT {
  GRAPH <https://w3id.org/drugpolicy-kg/graph/dataset> { <https://w3id.org/drugpolicy-kg/dataset> void:triples ?triples . }
  <https://w3id.org/drugpolicy-kg/dataset> void:triples ?triples .
} WHERE {
  { SELECT (COUNT(*) + 1 AS ?triples) WHERE { ?s ?p ?o } }  # the default graph holds each distinct triple once
}
