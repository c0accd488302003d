"""drugpolicy-kg: a knowledge graph of drug-policy actors and mandates.

The library is organised by stage: :mod:`.resources` (where things are),
:mod:`.loader` (read and merge), :mod:`.build` (write outputs),
:mod:`.validate` (SHACL and checks), :mod:`.evidence` (quotes against their
sources), :mod:`.stats`; :mod:`.cli` is a thin layer on top.
"""

__version__ = "0.1.0"
