"""The lineage graph of an asset: upstream, downstream or both, cut at the depth asked for."""

from __future__ import annotations

from core.catalog import lineage
from core.catalog.lineage import LineageQuery
from core.db.unit_of_work import UnitOfWork
from tests.unit.catalog.conftest import admin
from tests.unit.catalog.test_propagation import edge, make


def graph(database, asset, direction, depth):
    with UnitOfWork(database) as uow:
        found = lineage.graph(uow, admin(), asset, LineageQuery(direction=direction, depth=depth))
    return [n.name for n in found.nodes], {(e.source_id, e.target_id) for e in found.edges}


def test_depth_and_direction_bound_the_graph(database, workspace):
    a, b, c, d, e = (make(database, workspace, f"db.s.g{i}") for i in range(5))
    for source, target in ((a, b), (b, c), (c, d), (d, e)):
        edge(database, workspace, source, target)
    assert graph(database, c, "both", 1) == (["db.s.g1", "db.s.g3"], {(b, c), (c, d)})
    assert graph(database, c, "upstream", 5)[0] == ["db.s.g1", "db.s.g0"]
    nodes, edges = graph(database, a, "downstream", 2)
    assert (nodes, edges) == (["db.s.g1", "db.s.g2"], {(a, b), (b, c)})
    assert graph(database, e, "downstream", 20) == ([], set())
