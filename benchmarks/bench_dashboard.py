"""Time per week of the dashboard: one model step plus one redraw (reported, not asserted).

Usage::

    python benchmarks/bench_dashboard.py           # 10,000 and 100,000 consumers, 52 weeks
    python benchmarks/bench_dashboard.py --quick   # 10,000 consumers, 12 weeks

What is measured, per week after the first (whose step also builds the
population and the network), on ``scenarios/baseline.toml`` with an
irresponsibly handled incident in week 2 (so news spreads during the run):

* **step**: ``LiveRun.step(1)`` (``TrustModel.step()`` and its recorder);
* **redraw**: what the Run panel does after a step: the weekly table and the
  four weekly panels blitted onto their cached background and encoded as PNG
  (:class:`sim.dashboard.charts.LiveWeeklyChart`; the background is redrawn
  when a series outgrows its axis limits, a few weeks per run);
* **full redraw**: the same chart drawn from scratch each week
  (:func:`sim.dashboard.charts.weekly_figure` and ``savefig``), for comparison;
* **network**: the network sample's redraw (300 consumers, layout and
  background cached: :class:`sim.dashboard.charts.LiveNetworkChart`), shown
  below the weekly chart and redrawn with it.

The issue's aim is step plus redraw under 100 ms per week at 100,000
consumers. Medians over the weeks, in wall-clock and CPU (process) time: other
work on the machine inflates wall-clock time; CPU time is the better estimate
of what the code costs under load. Results go to
``benchmarks/out/bench_dashboard.json`` (``_quick`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.dashboard import charts, neighbourhood  # noqa: E402
from sim.dashboard.app import incident_weeks  # noqa: E402
from sim.dashboard.session import LiveRun  # noqa: E402
from sim.scenario_io import load_scenario  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return 1000 * (time.perf_counter() - w0), 1000 * (time.process_time() - c0)


def full_redraw(run: LiveRun, weeks: int, marks: list[int]) -> bytes:
    """A redraw from scratch: weekly table, new figure, PNG (what blitting avoids)."""
    fig = charts.weekly_figure(run.weekly(), weeks, marks)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def measure(n: int, weeks: int) -> dict[str, Any]:
    """Per-week medians at ``n`` consumers."""
    sc = load_scenario("baseline", {
        "population.size": n, "run.weeks": weeks,
        "incidents.events": [{"week": 2, "severity": 0.8, "responsible": False}],
    })
    run = LiveRun(sc)
    marks = incident_weeks(sc)
    chart = charts.LiveWeeklyChart(weeks, marks)
    setup_ms, _ = timed(lambda: run.step(1))
    chart.render(run.weekly())  # warm-up: fonts, caches, the first background
    full_redraw(run, weeks, marks)
    adj = run.model.adjacency
    nodes = neighbourhood.bfs_sample(adj, 0)
    edges = neighbourhood.induced_edges(adj, nodes)
    pos = neighbourhood.layout(len(nodes), edges, seed=0)

    net = charts.LiveNetworkChart(pos, edges)

    def network() -> bytes:
        pop = run.model.population
        return net.render(pop.trust[nodes], neighbourhood.churn_cause(pop, nodes))

    rows: dict[str, list[float]] = {f"{k}_{c}": [] for k in (
        "step", "redraw", "full_redraw", "network") for c in ("wall", "cpu")}
    while run.running:
        for name, fn in (("step", lambda: run.step(1)),
                         ("redraw", lambda: chart.render(run.weekly())),
                         ("full_redraw", lambda: full_redraw(run, weeks, marks)),
                         ("network", network)):
            wall, cpu = timed(fn)
            rows[f"{name}_wall"].append(wall)
            rows[f"{name}_cpu"].append(cpu)
    med = {k: statistics.median(v) for k, v in rows.items()}
    med["week_wall"] = med["step_wall"] + med["redraw_wall"]
    med["week_cpu"] = med["step_cpu"] + med["redraw_cpu"]
    return {"consumers": n, "weeks": weeks, "first_week_ms": setup_ms,
            "median_ms": med, "raw_ms": rows}


def main() -> int:
    """Run the measurements, print them, write the JSON file."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10,000 consumers, 12 weeks")
    args = ap.parse_args()
    sizes, weeks = ((10_000,), 12) if args.quick else ((10_000, 100_000), 52)
    results = [measure(n, weeks) for n in sizes]
    cols = ("step", "redraw", "week", "full_redraw", "network")
    print(f"{'consumers':>10} " + " ".join(f"{c.replace('week', 'step+redraw'):>14}"
                                           for c in cols)
          + "   (median ms per week, wall / cpu)")
    for r in results:
        m = r["median_ms"]
        cells = [f"{m[f'{k}_wall']:6.0f} / {m[f'{k}_cpu']:4.0f}" for k in cols]
        print(f"{r['consumers']:>10,} " + " ".join(f"{c:>14}" for c in cells))
    import matplotlib
    import solara

    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg(),
        "matplotlib": matplotlib.__version__, "solara": solara.__version__,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench_dashboard{'_quick' if args.quick else ''}.json"
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    print(f"load average {meta['load_average'][0]:.1f} on {meta['cpus']} cpus; wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
