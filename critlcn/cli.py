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
    """The architecture facts every report starts with."""
    return {
        "architecture": arch.to_dict(),
        "filter_size": arch.size,
        "degree": arch.degree,
        "e": arch.e,
        "filling": arch.filling,
        "function_space_dimension": arch.function_space_dimension,
    }


def _summary_lines(arch) -> list[str]:
    s = architecture_summary(arch)
    return [
        f"architecture {arch.label()}  (layers {arch.layers}, strides {list(arch.strides)})",
        f"end-to-end filter size {s['filter_size']}, degree d = {s['degree']}, e = {s['e']} even filter sizes, "
        + ("filling: M_k = R^k" if arch.filling else "not filling: M_k = {w : at least e real roots}")
        + f", dim M_k = {s['function_space_dimension']}",
    ]


@main.command("enumerate")
@k_option()
@strides_option()
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True, help="output format")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="write to FILE instead of stdout")
@click.option("--max-patterns", type=click.IntRange(min=0), default=3, show_default=True,
              help="patterns listed per rrmp (0 = all; high degrees have 10^5 per rrmp)")
@friendly
def enumerate_cmd(k, strides, fmt, output, max_patterns):
    """List every rrmp of degree d: region, compatibility, patterns, assignments."""
    arch = architecture_from(k, strides)
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
