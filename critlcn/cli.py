"""The ``critlcn`` command line: parse, call the library, print."""

from __future__ import annotations

import click
import networkx as nx

from critlcn import __version__
from critlcn.clikit import KGroup, architecture_from, emit, friendly, k_option, strides_option
from critlcn.compatibility import compatibility_table, stratum_info, stratum_infos
from critlcn.errors import CritlcnError
from critlcn.report import render_table, to_json

__all__ = ["main"]

FORMATS = click.Choice(["table", "json", "csv", "md", "latex"])


@click.group(cls=KGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="critlcn")
def main():
    """Every critical point of the square loss of a linear convolutional network.

    Filter sizes follow one --k, layer 1 first: critlcn enumerate --k 3 2 2
    """


def architecture_summary(arch) -> dict:
    """The architecture facts every report starts with (MATH.md §3, §9–11)."""
    out = {
        "architecture": arch.to_dict(),
        "label": arch.label(),
        "filter_size": arch.size,
        "degree": arch.degree,
        "e": arch.e if arch.axes == 1 else None,
        "filling": arch.filling,
        "function_space_dimension": arch.function_space_dimension,
        "ambient_dimension": arch.ambient_dimension,
        "end_to_end_format": list(arch.end_format),
        "end_to_end_stride": arch.end_stride,
        "reduced": arch.reduced,
        "segre_number": arch.segre_number,
    }
    if not arch.stride_one:
        out["strata_organise_critical_points"] = False
        out["why"] = _why_no_strata(arch)
    return out


def _why_no_strata(arch) -> str:
    if arch.axes > 1:
        return ("D-dimensional filters: a multihomogeneous form has no root multiplicity pattern, and with more than "
                "one non-trivial layer the function space is a lower-dimensional subset (MATH.md §11); critical "
                "points are found in parameter space (MATH.md §9), Segre number of them for generic data.")
    if arch.sparse:
        return ("strides > 1: the end-to-end form is a sparse product pi_S(w_L)...pi(w_1), so the stratification by "
                "root multiplicities of stride one does not describe the function space; with all inner strides > 1 "
                "every non-zero critical point maps to a smooth interior point (MATH.md §9). Critical points are "
                "found in parameter space, Segre number of them for generic data.")
    return ("no stride above one acts between two layers with more than one weight: the function space is that of "
            "stride one, but the data's windows are taken at the end-to-end stride; critical points are found in "
            "parameter space (MATH.md §9).")


def _summary_lines(arch) -> list[str]:
    s = architecture_summary(arch)
    fmt = "x".join(map(str, arch.end_format))
    lines = [f"architecture {arch.label()}  (layers {arch.layers}, strides {list(arch.strides)})"]
    if arch.stride_one:
        lines.append(
            f"end-to-end filter size {s['filter_size']}, degree d = {s['degree']}, e = {s['e']} even filter sizes, "
            + ("filling: M_k = R^k" if arch.filling else "not filling: M_k = {w : at least e real roots}")
            + f", dim M_k = {s['function_space_dimension']}"
        )
    else:
        lines.append(
            f"end-to-end filter {fmt} at stride {arch.end_stride}; dim M = {s['function_space_dimension']} "
            f"of {s['ambient_dimension']} (ambient); " + ("filling" if arch.filling else "not filling")
            + ("" if arch.reduced else "; not reduced (a one-weight layer only rescales)")
        )
    lines.append(f"complex critical scaling classes for generic data: {s['segre_number']} "
                 f"(Segre number of P^{' x P^'.join(map(str, arch.segre_dimensions))})")
    return lines


def _function_space_rows(arch):
    s = architecture_summary(arch)
    rows = [
        ["layers", arch.layers],
        ["filters", ", ".join("x".join(map(str, f)) for f in arch.formats)],
        ["strides", " ".join(map(str, arch.strides))],
        ["end-to-end filter", "x".join(map(str, arch.end_format))],
        ["end-to-end stride", arch.end_stride],
        ["dimension of the function space", s["function_space_dimension"]],
        ["ambient dimension", s["ambient_dimension"]],
        ["filling", arch.filling],
        ["reduced", arch.reduced],
        ["Segre number (complex critical classes)", s["segre_number"]],
    ]
    return ["fact", "value"], rows


@main.command("enumerate")
@k_option()
@strides_option()
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="output format")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="write to FILE instead of stdout")
@click.option("--max-patterns", type=click.IntRange(min=0), default=3, show_default=True,
              help="patterns listed per rrmp (0 = all; high degrees have 10^5 per rrmp)")
@friendly
def enumerate_cmd(k, strides, fmt, output, max_patterns):
    """List every rrmp of degree d: region, compatibility, patterns, assignments
    (stride one); with strides (--s) or D-dim filters (--k 2x2 2x1), the
    function-space facts and the Segre number."""
    arch = architecture_from(k, strides)
    if not arch.stride_one:
        payload = architecture_summary(arch)
        if fmt == "json":
            payload.update(version=__version__)
            emit(to_json(payload), output)
            return
        head, rows = _function_space_rows(arch)
        if fmt == "table":
            text = "\n".join(_summary_lines(arch)) + "\n\n" + render_table(head, rows, fmt) + "\n\n" + payload["why"]
        elif fmt == "csv":
            text = render_table(head, rows, fmt)
        else:
            text = render_table(head, rows, fmt, title=arch.label()) + "\n\n" + payload["why"]
        emit(text, output)
        return
    infos = stratum_infos(arch, max_patterns or None)
    if fmt == "json":
        payload = architecture_summary(arch)
        payload.update(
            version=__version__,
            max_patterns=max_patterns,
            rrmps=len(infos),
            compatible=sum(s.compatible for s in infos),
            rows=[s.to_dict() for s in infos],
        )
        emit(to_json(payload), output)
        return
    headers = ["rrmp", "partition", "dim", "region", "compatible", "assignments", "patterns"]
    rows = []
    for s in infos:
        pats = list(s.patterns) + (["…"] if s.patterns_truncated else [])
        rows.append([str(s.rrmp), "-".join(map(str, s.rrmp.partition)), s.rrmp.dimension, s.region,
                     s.compatible, s.assignments, pats or None])
    title = None if fmt == "csv" else "; ".join(_summary_lines(arch))
    text = render_table(headers, rows, fmt, title=title)
    if fmt == "table":
        count = sum(s.compatible for s in infos)
        text = "\n".join(_summary_lines(arch)) + "\n\n" + render_table(headers, rows, fmt) + \
            f"\n\n{len(infos)} rrmps, {count} compatible"
    emit(text, output)


@main.command()
@k_option(multiple=True)
@click.option("--format", "fmt", type=click.Choice(["table", "md", "latex", "csv", "json"]), default="md",
              show_default=True, help="output format")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="write to FILE instead of stdout")
@friendly
def table(k, fmt, output):
    """The paper's compatibility table: one example pattern per rrmp and architecture."""
    if not k:
        raise CritlcnError("missing --k: give one or more architectures, e.g. --k 3 2 2 --k 4 2")
    archs = [architecture_from(x, stride_one="table") for x in k]
    rows, cols = compatibility_table(archs)
    if fmt == "json":
        payload = {
            "degree": archs[0].degree,
            "rows": [str(r) for r in rows],
            "architectures": {",".join(map(str, a.k)): list(cols[a]) for a in archs},
            "regions": {",".join(map(str, a.k)): [stratum_info(r, a, 0).region for r in rows] for a in archs},
        }
        emit(to_json(payload), output)
        return
    headers = ["ρ|γ"] + [a.label() for a in archs]
    body = [[str(r)] + [cols[a][i] for a in archs] for i, r in enumerate(rows)]
    emit(render_table(headers, body, fmt), output)


@main.command()
@k_option()
@strides_option()
@click.option("--format", "fmt", type=click.Choice(["json", "graphml", "dot"]), default="json", show_default=True,
              help="graph format")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="write to FILE instead of stdout")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="also draw the graph to FILE.png/.svg")
@friendly
def strata(k, strides, fmt, output, plot):
    """The closure order of the real strata (Hasse diagram) as a graph."""
    from critlcn.strata import strata_graph

    arch = architecture_from(k, strides, stride_one="strata")
    graph = strata_graph(arch)
    if fmt == "json":
        data = nx.node_link_data(graph, edges="edges")
        data.update(architecture_summary(arch))
        text = to_json(data)
    elif fmt == "graphml":
        text = "\n".join(nx.generate_graphml(graph))
    else:
        text = _dot(graph)
    if plot:
        from critlcn.plots import plot_strata

        plot_strata(graph, plot)
    emit(text, output)


def _dot(graph) -> str:
    colours = {"interior": "palegreen", "boundary": "khaki", "exterior": "lightpink"}
    lines = [f'digraph strata {{ label="k=({graph.graph["k"]})"; rankdir=TB; node [style=filled];']
    for node, attrs in graph.nodes(data=True):
        shape = "box" if attrs["compatible"] else "ellipse"
        lines.append(f'  "{node}" [fillcolor={colours[attrs["region"]]}, shape={shape}];')
    lines += [f'  "{a}" -> "{b}";' for a, b in graph.edges()]
    lines.append("}")
    return "\n".join(lines)


# Commands that live in their own modules (each keeps its heavy imports lazy).
from critlcn._cli_experiment import experiment, report  # noqa: E402
from critlcn._cli_degrees import degrees  # noqa: E402
from critlcn._cli_solve import data, solve, systems  # noqa: E402

for _command in (degrees, solve, systems, data, experiment, report):
    main.add_command(_command)


if __name__ == "__main__":
    main()
