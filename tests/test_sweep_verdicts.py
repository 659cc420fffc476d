"""Best lever settings: only levers are choices; ties and one replicate are said as such."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.sweep import SweepError, run_sweep, spec_from_dict
from sim.sweep.analyze import analyze_sweep
from sim.sweep.spec_types import SweepSpec
from sim.sweep.verdicts import band_of, best_points, kpi_text, number, value_text
from tests.helpers import BASELINE, ROOT

SHIPPED = ROOT / "scenarios" / "sweeps"


def grid_spec(conditions: dict[str, list[Any]], replicates: int = 2, **extra: Any) -> SweepSpec:
    factors = [{"key": "a", "role": "lever", "values": ["low", "mid", "high"]}]
    factors += [{"key": k, "role": "uncertainty", "values": v} for k, v in conditions.items()]
    return spec_from_dict({"seed": 1, "replicates": replicates, "kpis": ["y"],
                           "model": {"function": "tests.nowhere:f"},
                           "design": {"kind": "grid"}, "factors": factors, **extra})


def results(spec: SweepSpec, y: Any) -> pd.DataFrame:
    """Every grid point x replicate with ``y(row)``, numbered like a sweep."""
    names = spec.factor_names
    grid = pd.MultiIndex.from_product([f.grid_values() for f in spec.factors],
                                      names=names).to_frame(index=False)
    grid["point"] = range(len(grid))
    rows = grid.merge(pd.DataFrame({"replicate": range(spec.replicates)}), how="cross")
    rows["y"] = [y(r) for r in rows.itertuples()]
    return rows


A = {"low": 100.0, "mid": 120.0, "high": 119.5}


def test_only_levers_are_choices_and_conditions_are_reported_one_by_one() -> None:
    spec = grid_spec({"u": ["dry", "wet"]})
    res = results(spec, lambda r: A[r.a] + (50 if r.u == "wet" else 0) + 3 * r.replicate)
    heading, lines = best_points(res, spec, ["y"])
    assert "per condition of u: conditions, not choices" in heading
    assert lines == [
        "at u=dry: y highest at a=mid: 121.5 [118.6, 124.4]; tied with a=high (121 [118.1, "
        "123.9]) (difference not both statistically clear and above 1% of the value); "
        "clearly behind: "
        "a=low (101.5 [98.56, 104.4]), paired difference +20 [+20, +20]",
        "at u=wet: y highest at a=mid: 171.5 [168.6, 174.4]; tied with a=high (171 [168.1, "
        "173.9]) (difference not both statistically clear and above 1% of the value); "
        "clearly behind: "
        "a=low (151.5 [148.6, 154.4]), paired difference +20 [+20, +20]",
    ]
    for line in lines:  # an uncertainty is never where the best point is
        assert not re.search(r"(highest|lowest) at [^:]*u=", line)


def test_many_conditions_are_averaged_over_and_said_so() -> None:
    spec = grid_spec({"u": [1, 2, 3], "v": [1, 2, 3]})
    res = results(spec, lambda r: {"low": 100.0, "mid": 130.0, "high": 90.0}[r.a] * r.u + r.v)
    heading, lines = best_points(res, spec, ["y"])
    assert "averaged over u, v: conditions, not choices" in heading
    assert len(lines) == 1 and lines[0].startswith("y highest at a=mid: 262")
    assert "ahead of the next, a=low" in lines[0]


def test_one_replicate_never_says_ahead() -> None:
    spec = grid_spec({}, replicates=1)
    res = results(spec, lambda r: A[r.a])
    heading, lines = best_points(res, spec, ["y"])
    assert "one replicate per point gives no interval, so nothing is declared ahead" in heading
    assert lines == ["y highest at a=mid: 120; one replicate, no interval: not declared ahead; "
                     "within 1% of the value: a=high (119.5)"]
    assert "ahead of" not in " ".join(lines)


def test_the_sweep_file_sets_the_practical_threshold() -> None:
    spec = grid_spec({}, analysis={"practical_difference": 0.001})
    assert spec.analysis == {"practical_difference": 0.001}
    assert spec.fingerprint() == grid_spec({}).fingerprint()  # the runs are the same
    res = results(spec, lambda r: A[r.a] + 3 * r.replicate)
    _, lines = best_points(res, spec, ["y"])
    assert "ahead of the next, a=high" in lines[0]
    assert band_of(spec, points=2).share_points == 0.02
    with pytest.raises(SweepError, match="relative must be a number >= 0"):
        band_of(spec, relative=-1)
    with pytest.raises(Exception, match=r"analysis\.practical_difference"):
        grid_spec({}, analysis={"practical_difference": 5})


def test_sampling_designs_with_uncertainties_name_no_best_point() -> None:
    spec = spec_from_dict({"seed": 1, "kpis": ["y"], "model": {"function": "m:f"},
                           "design": {"kind": "sobol", "samples": 4}, "factors": [
                               {"key": "a", "role": "lever", "range": [0.0, 1.0]},
                               {"key": "u", "role": "uncertainty", "range": [0.0, 1.0]}]})
    res = pd.DataFrame({"point": range(16), "replicate": 0, "a": np.linspace(0, 1, 16),
                        "u": 0.5, "y": np.arange(16.0)})
    heading, lines = best_points(res, spec, ["y"])
    assert lines == [] and heading.startswith("best point: none; a sobol design draws the "
                                              "uncertainties (u) anew at every point")


def test_numbers_as_people_read_them() -> None:
    assert number(-393_300.4) == "-393,300" and number(0.87754) == "0.8775"
    assert number(0.00012) == "0.00012" and "e" not in number(1.5e-7)
    assert kpi_text("retention", 0.8312) == "83.1%" and kpi_text("y", 2.5) == "2.5"
    spec = spec_from_dict(tomllib.loads((SHIPPED / "screening.toml").read_text()),
                          base_dir=SHIPPED)
    assert [value_text(spec, "escalation", v) for v in (0, 4)] == ["generic", "personal"]
    assert value_text(spec, "transparency", 0.25) == "0.25"


def _small(name: str, samples: int, tmp_path: Path) -> Path:
    data = tomllib.loads((SHIPPED / f"{name}.toml").read_text())
    data["base"] = str(BASELINE)
    data["overrides"] = {"population.size": 200, "run.weeks": 4}
    data["design"]["samples"] = samples
    spec = spec_from_dict(data, base_dir=SHIPPED)
    out = tmp_path / name
    run_sweep(spec, out, workers=0, progress=False)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("name", "samples"), [("screening", 2), ("sensitivity", 2)])
def test_shipped_sampling_sweeps_name_no_uncertainty_and_nothing_ahead(
    name: str, samples: int, tmp_path: Path
) -> None:
    an = analyze_sweep(_small(name, samples, tmp_path), figures=False)
    text = an.format()
    uncertainties = [f.name for f in an.sweep.spec.factors if f.role == "uncertainty"]
    assert "best point: none" in text
    assert " ahead" not in text and "e+0" not in text
    for line in text.splitlines():
        if re.search(r"(highest|lowest) at", line):
            assert not any(f"{u}=" in line for u in uncertainties), line


def test_a_noisy_tie_and_a_clearly_behind_setting_with_a_higher_mean_are_explained() -> None:
    from sim.sweep.verdicts import verdict_text
    from sim.ties import Band, rank

    noise = np.array([0.0, 0.004, -0.004])  # shared by every setting (common random numbers)
    wide = pd.DataFrame({"demographic": 0.662 + noise, "generic": 0.649 + noise,
                         "interest": 0.636 + noise + np.array([0.2, -0.1, -0.1])})
    r = rank(wide, "mean_trust", band=Band())
    assert r.tied == ["interest"] and r.noisy == ["interest"] and r.behind == "generic"
    text = verdict_text(r, Band())
    assert text.startswith("mean_trust highest at demographic: 0.662")
    assert "tied with interest (0.636 [" in text and ", too noisy to separate)" in text
    assert "; clearly behind: generic (0.649 [" in text and "next:" not in text
    assert text.endswith("a tied setting can have a worse mean than one clearly behind when "
                         "its runs vary more")
