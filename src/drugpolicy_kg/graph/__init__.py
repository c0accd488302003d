"""Stage 2: the graph: load the project's files into one store, derive, export, count."""
