"""The stratification of filter space by rrmp, as a networkx DiGraph (docs/math.md,
"Roots and multiplicity patterns").

An edge ``A → B`` says that ``Δ(B)`` lies in the closure of ``Δ(A)`` and
nothing lies strictly between them (the Hasse diagram of the closure order).
"""

from __future__ import annotations

import networkx as nx

from critlcn.architecture import Architecture
from critlcn.compatibility import count_assignments
from critlcn.errors import CritlcnError
from critlcn.rrmp import degenerations, enumerate_rrmps, region

__all__ = ["strata_graph", "MAX_STRATA_DEGREE"]

#: The closure order is computed as a transitive reduction, quadratic in the
#: number of rrmps; d = 20 (3 177 strata) takes about 2 s.
MAX_STRATA_DEGREE = 20


def strata_graph(arch: Architecture) -> nx.DiGraph:
    """Hasse diagram of the closure order of the real strata of degree ``d``.

    Nodes are rrmp strings with attributes ``rrmp``, ``partition`` (string),
    ``dimension``, ``region``, ``compatible`` and ``assignments``; edges point
    from a stratum to the strata covered by its closure.

    Examples
    --------
    >>> g = strata_graph(Architecture((3, 2, 2)))
    >>> sorted(g.successors("11|1"))
    ['112|0', '2|1']
    >>> g.nodes["22|0"]["region"], g.nodes["22|0"]["compatible"]
    ('boundary', True)
    """
    if arch.degree > MAX_STRATA_DEGREE:
        raise CritlcnError(
            f"degree d = {arch.degree} is above {MAX_STRATA_DEGREE} for the strata graph: use smaller filter sizes"
        )
    rrmps = enumerate_rrmps(arch.degree)
    moves = nx.DiGraph()
    for r in rrmps:
        n = count_assignments(r, arch)
        moves.add_node(
            str(r),
            rrmp=str(r),
            partition="-".join(map(str, r.partition)),
            dimension=r.dimension,
            region=region(r, arch.e),
            compatible=n > 0,
            assignments=n,
        )
    for r in rrmps:
        for s in degenerations(r):
            moves.add_edge(str(r), str(s))
    hasse = nx.transitive_reduction(moves)
    hasse.add_nodes_from(moves.nodes(data=True))
    hasse.graph.update(k=",".join(map(str, arch.k)), degree=arch.degree)
    return hasse
