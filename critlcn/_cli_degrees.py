"""``critlcn degrees``: exact counts of complex critical points (docs/math.md,
"Exact counts")."""

from __future__ import annotations

import click

from critlcn import __version__
from critlcn.clikit import KCommand, emit, friendly, k_option, parse_filters, parse_sizes
from critlcn.errors import CritlcnError
from critlcn.report import render_table, to_json

__all__ = ["degrees"]

FORMATS = click.Choice(["table", "json", "csv", "md", "latex"])


def _by_degree(d: int, fmt: str) -> str:
    from critlcn.degrees import ed_degrees

    table = ed_degrees(d)
    total = sum(table.values())
    if fmt == "json":
        return to_json({"degree": d, "ed_degrees": {"-".join(map(str, lam)): v for lam, v in table.items()},
                        "partitions": len(table), "total": total, "version": __version__})
    rows = [["-".join(map(str, lam)), len(lam) + 1, v] for lam, v in table.items()]
    rows.append(["total", None, total])
    title = None if fmt == "csv" else f"generic ED degrees of the coincident root loci of degree {d}"
    return render_table(["partition λ", "dim", "EDgen(Δ_λ)"], rows, fmt, title=title)


def _by_architecture(arch, fmt: str) -> str:
    from critlcn.degrees import architecture_breakdown, segre_dimensions, segre_ed_degree

    ns = segre_dimensions(arch.layer_entries)
    segre = segre_ed_degree(ns)
    label = arch.label()
    one_d, stride_one = arch.axes == 1, arch.stride_one
    rows = []
    if one_d and stride_one:
        rows = architecture_breakdown(ns)
        if sum(n * e for _, n, e in rows) != segre:  # the identity of docs/math.md, "Exact counts"
            raise AssertionError("stride-one breakdown does not sum to the Segre number")
    segre_name = " × ".join(f"P^{n}" for n in ns)
    if fmt == "json":
        payload = {"architecture": label, "segre": segre_name, "projective_dimensions": list(ns),
                   "critical_scaling_classes": segre, "version": __version__}
        if rows:
            payload["by_partition"] = [{"partition": "-".join(map(str, lam)), "assignments": n, "ed_degree": e,
                                        "classes": n * e} for lam, n, e in rows]
        return to_json(payload)
    head = f"{label}: {segre} complex critical scaling classes = generic ED degree of {segre_name}"
    if not rows:
        why = "D-dimensional filters" if not one_d else "strides"
        if fmt == "table":
            return head + f"\n({why}: critical points are not organised by strata, so there is no breakdown)"
        return render_table(["architecture", "Segre product", "classes"], [[label, segre_name, segre]], fmt,
                            title=None if fmt == "csv" else head)
    body = [["-".join(map(str, lam)), n, e, n * e] for lam, n, e in rows]
    body.append(["total", None, None, segre])
    headers = ["partition λ", "N(λ, μ)", "EDgen(Δ_λ)", "classes"]
    if fmt == "table":
        return head + "\n\n" + render_table(headers, body, fmt)
    return render_table(headers, body, fmt, title=None if fmt == "csv" else head)


@click.command(cls=KCommand)
@click.option("--d", "d", type=int, default=None, help="degree d: EDgen of every partition of d")
@k_option()
@click.option("--s", "--strides", "strides", default=None, metavar="S1 S2 ...",
              help="strides, one per layer (the count does not depend on them)")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="output format")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="write to FILE instead of stdout")
@friendly
def degrees(d, k, strides, fmt, output):
    """Exact numbers of complex critical points (docs/math.md, "Exact counts").

    --d 10 lists the generic ED degree of every stratum of degree 10;
    --k 3 2 2 gives the number of critical scaling classes of the
    architecture (the Segre number) and, for stride one, its breakdown by
    partition. D-dimensional filters: --k 2x2 2x1.
    """
    from critlcn.degrees import MAX_COUNT_DEGREE

    if (d is None) == (k is None):
        raise CritlcnError("give exactly one of --d (a degree) or --k (an architecture), e.g. critlcn degrees --d 10")
    if d is not None:
        if d < 1 or d > MAX_COUNT_DEGREE:
            raise CritlcnError(f"--d {d} is outside 1..{MAX_COUNT_DEGREE}: choose a degree in that range")
        emit(_by_degree(d, fmt), output)
        return
    from critlcn.architecture import Architecture, check_degree

    arch = Architecture(parse_filters(k), parse_sizes(strides, "stride") if strides else ())
    if arch.stride_one:  # the breakdown by partition needs ED degrees up to d
        check_degree(arch, MAX_COUNT_DEGREE)
    emit(_by_architecture(arch, fmt), output)
