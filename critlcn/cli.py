"""The ``critlcn`` command line: parse, call the library, print."""

from __future__ import annotations

import click

from critlcn import __version__
from critlcn.clikit import KGroup, architecture_from, emit, friendly, k_option, strides_option
from critlcn.compatibility import compatibility_table, stratum_info, stratum_infos
from critlcn.errors import CritlcnError
from critlcn.render import render_compatibility, render_enumerate, render_function_space, render_strata

__all__ = ["main"]

FORMATS = click.Choice(["table", "json", "csv", "md", "latex", "html"])


@click.group(cls=KGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="critlcn")
def main():
    """Every critical point of the square loss of a linear convolutional network.

    Filter sizes follow one --k, layer 1 first: critlcn enumerate --k 3 2 2
    """


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
        emit(render_function_space(arch, fmt, version=__version__), output)
        return
    infos = stratum_infos(arch, max_patterns or None)
    emit(render_enumerate(arch, infos, fmt, max_patterns=max_patterns, version=__version__), output)


@main.command()
@k_option(multiple=True)
@click.option("--format", "fmt", type=click.Choice(["table", "md", "latex", "html", "csv", "json"]), default="md",
              show_default=True, help="output format")
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="write to FILE instead of stdout")
@friendly
def table(k, fmt, output):
    """The paper's compatibility table: one example pattern per rrmp and architecture."""
    if not k:
        raise CritlcnError("missing --k: give one or more architectures, e.g. --k 3 2 2 --k 4 2")
    archs = [architecture_from(x, stride_one="table") for x in k]
    rows, cols = compatibility_table(archs)
    regions = {a: [stratum_info(r, a, 0).region for r in rows] for a in archs} if fmt == "json" else None
    emit(render_compatibility(archs, rows, cols, fmt, regions=regions), output)


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
    text = render_strata(arch, graph, fmt)
    if plot:
        from critlcn.plots import plot_strata

        plot_strata(graph, plot)
    emit(text, output)


# Commands that live in their own modules (each keeps its heavy imports lazy).
from critlcn._cli_experiment import experiment, report  # noqa: E402
from critlcn._cli_degrees import degrees  # noqa: E402
from critlcn._cli_solve import data, solve, systems  # noqa: E402

for _command in (degrees, solve, systems, data, experiment, report):
    main.add_command(_command)


if __name__ == "__main__":
    main()
