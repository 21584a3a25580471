"""The seeds' proof map, recomputed: the ``depends_on`` graph of the ledger, laid out in pure
Python for an SVG drawn by the template ``proofmap.svg.j2``.

Seed 004 draws its theory as a stack (clipping → mixture kurtosis → MSE decomposition →
theoretical claims → empirical axioms). Here every claim that depends on another, or that
another depends on, is a node, coloured by its computed verdict: foundations at the bottom,
each claim one layer above the highest claim it depends on (longest-path layering), nodes of a
layer ordered by the mean position of their neighbours (a few barycentre sweeps) and wrapped
into rows that fit the page width. No graphviz: nothing outside PyPI.
"""

from __future__ import annotations

__all__ = ["layout", "WIDTH"]

#: Drawing width in SVG units (the page is 1200 px wide with padding).
WIDTH = 1140
_CHAR, _PAD, _GAP, _ROW, _NODE_H, _MARGIN, _LAYER_GAP = 6.1, 14, 8, 30, 22, 10, 22


def _levels(nodes: list[str], deps: dict[str, list[str]]) -> dict[str, int]:
    level: dict[str, int] = {}

    def lv(n: str) -> int:
        if n not in level:
            level[n] = 1 + max((lv(d) for d in deps.get(n, [])), default=-1)
        return level[n]

    for n in nodes:
        lv(n)
    return level


def layout(claims: list[dict]) -> dict:
    """``{"width", "height", "nodes", "edges", "layers"}`` for the claims that take part in a
    dependency. ``claims`` are status rows (``id``, ``verdict``, ``depends_on``, ``seed``)."""
    by_id = {c["id"]: c for c in claims}
    deps = {c["id"]: [d for d in c.get("depends_on", []) if d in by_id] for c in claims}
    used = {n for n, ds in deps.items() if ds} | {d for ds in deps.values() for d in ds}
    order = [c["id"] for c in claims if c["id"] in used]
    if not order:
        return {"width": WIDTH, "height": 0, "nodes": [], "edges": [], "layers": 0}
    level = _levels(order, deps)
    up: dict[str, list[str]] = {n: [] for n in order}
    for n in order:
        for d in deps[n]:
            up[d].append(n)
    layers = [[n for n in order if level[n] == k] for k in range(max(level.values()) + 1)]
    width = {n: _CHAR * len(n) + 2 * _PAD for n in order}

    # barycentre sweeps: bottom-up by dependencies, then top-down by dependents
    pos = {n: i for layer in layers for i, n in enumerate(layer)}
    for _ in range(4):
        for k in range(1, len(layers)):
            layers[k].sort(key=lambda n: (sum(pos[d] for d in deps[n]) / len(deps[n]), pos[n]))
            pos.update({n: i * len(layers[k - 1]) / max(1, len(layers[k]))
                        for i, n in enumerate(layers[k])})
        for k in range(len(layers) - 2, -1, -1):
            layers[k].sort(key=lambda n: (sum(pos[u] for u in up[n]) / len(up[n]) if up[n]
                                          else pos[n], pos[n]))
            pos.update({n: i * len(layers[k + 1]) / max(1, len(layers[k]))
                        for i, n in enumerate(layers[k])})

    # wrap each layer into centred rows; the top layer is drawn first (foundations at the bottom)
    rows_of: list[list[list[str]]] = []
    for layer in layers:
        rows, row, w = [], [], 0.0
        for n in layer:
            if row and w + _GAP + width[n] > WIDTH - 2 * _MARGIN:
                rows.append(row)
                row, w = [], 0.0
            w += (_GAP if row else 0) + width[n]
            row.append(n)
        rows.append(row)
        rows_of.append(rows)
    nodes, xy, y = [], {}, _MARGIN
    for k in range(len(rows_of) - 1, -1, -1):
        for row in rows_of[k]:
            total = sum(width[n] for n in row) + _GAP * (len(row) - 1)
            x = (WIDTH - total) / 2
            for n in row:
                c = by_id[n]
                xy[n] = (x, y)
                nodes.append({"id": n, "x": round(x, 1), "y": y, "w": round(width[n], 1),
                              "h": _NODE_H, "verdict": c["verdict"], "layer": k,
                              "seed": c["seed"][:3], "tx": round(x + width[n] / 2, 1),
                              "ty": y + _NODE_H / 2 + 3.5})
                x += width[n] + _GAP
            y += _ROW
        y += _LAYER_GAP
    edges = []
    for n in order:
        x1, y1 = xy[n]
        for d in deps[n]:
            x2, y2 = xy[d]
            sx, sy = x1 + width[n] / 2, y1 + _NODE_H
            ex, ey = x2 + width[d] / 2, y2
            my = (sy + ey) / 2
            edges.append({"from": n, "to": d,
                          "path": f"M{sx:.1f},{sy:.1f} C{sx:.1f},{my:.1f} {ex:.1f},{my:.1f} "
                                  f"{ex:.1f},{ey:.1f}"})
    return {"width": WIDTH, "height": y - _LAYER_GAP + _MARGIN, "nodes": nodes, "edges": edges,
            "layers": len(layers)}
