"""Sweep files: validation before any run, designs, categorical mapping, seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.sweep import build_design, load_spec, plan, run_seed, run_sweep
from sim.sweep.designs import design_points
from sim.sweep.spec import Factor
from tests.helpers import BASELINE, ROOT, write

SHIPPED = sorted((ROOT / "scenarios" / "sweeps").glob("*.toml"))

GOOD = f"""
name = "t"
base = "{BASELINE}"
seed = 7
replicates = 2

[design]
kind = "grid"

[[factors]]
key = "strategy.escalation.level"
name = "escalation"
role = "lever"
values = ["generic", "interest", "personal"]

[[factors]]
key = "strategy.transparency"
role = "lever"
range = [0.0, 1.0]
steps = 3
"""


def spec_file(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    return write(tmp_path, name, text)


def fails(path: Path, *needles: str) -> str:
    """Load a spec that must fail; check the message names the file and the problem."""
    with pytest.raises(ScenarioError) as info:
        load_spec(path)
    msg = str(info.value)
    assert path.name in msg
    for n in needles:
        assert n in msg, msg
    return msg


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_specs_are_valid(path: Path) -> None:
    spec = load_spec(path)
    design = build_design(spec)
    assert len(design) > 1
    assert {f.role for f in spec.factors} <= {"lever", "uncertainty"}


def test_shipped_specs_cover_the_issue() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"escalation_vs_transparency", "sensitivity"} <= names
    evt = load_spec(ROOT / "scenarios/sweeps/escalation_vs_transparency.toml")
    assert evt.design.kind == "grid"
    sens = load_spec(ROOT / "scenarios/sweeps/sensitivity.toml")
    assert sens.design.kind == "sobol" and len(sens.factors) >= 6
    assert {f.role for f in sens.factors} == {"lever", "uncertainty"}


def test_grid_design_and_plan(tmp_path: Path) -> None:
    spec = load_spec(spec_file(tmp_path, GOOD))
    design = build_design(spec)
    assert len(design) == 9
    assert design["escalation"].tolist()[:3] == ["generic"] * 3
    assert design["transparency"].tolist()[:3] == [0.0, 0.5, 1.0]
    tasks = plan(spec, design)
    assert [t.run_id for t in tasks] == list(range(18))
    assert tasks[5].point == 2 and tasks[5].replicate == 1
    assert tasks[5].values == {"strategy.escalation.level": "generic",
                               "strategy.transparency": 1.0}


def test_unknown_key_path_fails_naming_it(tmp_path: Path) -> None:
    text = GOOD.replace('key = "strategy.transparency"', 'key = "strategy.transparancy"')
    fails(spec_file(tmp_path, text), "factors[1].key", "strategy.transparancy",
          "did you mean 'strategy.transparency'")


def test_empty_range_fails(tmp_path: Path) -> None:
    fails(spec_file(tmp_path, GOOD.replace("range = [0.0, 1.0]", "range = [0.5, 0.5]")),
          "factors[1].range", "empty range")


def test_unknown_design_fails(tmp_path: Path) -> None:
    fails(spec_file(tmp_path, GOOD.replace('kind = "grid"', 'kind = "factorial"')),
          "design.kind", "unknown design", "grid, lhs, sobol, morris")


def test_out_of_range_value_fails(tmp_path: Path) -> None:
    fails(spec_file(tmp_path, GOOD.replace("range = [0.0, 1.0]", "range = [0.0, 2.0]")),
          "factors[1]", "strategy.transparency", "2.0")


def test_unknown_level_name_fails(tmp_path: Path) -> None:
    fails(spec_file(tmp_path, GOOD.replace('"personal"]', '"creepy"]')),
          "factors[0]", "creepy", "unknown ladder level")


def test_other_spec_problems_are_all_listed(tmp_path: Path) -> None:
    text = GOOD.replace("seed = 7", "").replace('role = "lever"\nvalues', 'role = "brand"\nvalues')
    text = text.replace("steps = 3", "")
    msg = fails(spec_file(tmp_path, text), "seed", "a root seed is required", "factors[0].role",
                "factors[1].steps")
    assert msg.startswith("3 problems")


def test_sobol_needs_power_of_two_and_no_steps(tmp_path: Path) -> None:
    text = GOOD.replace('kind = "grid"', 'kind = "sobol"\nsamples = 100')
    fails(spec_file(tmp_path, text), "design.samples", "power of 2", "factors[1].steps")


def test_point_combinations_are_checked_before_any_run(tmp_path: Path) -> None:
    # Each value is valid alone, but p_post_public 0.3 > p_tell_negative 0.2 is not.
    text = f"""
base = "{BASELINE}"
seed = 1
[design]
kind = "grid"
[[factors]]
key = "wom.p_post_public"
role = "uncertainty"
values = [0.1, 0.3]
[[factors]]
key = "wom.p_tell_negative"
role = "uncertainty"
values = [0.2, 0.4]
"""
    path = spec_file(tmp_path, text)
    spec = load_spec(path)
    out = tmp_path / "out"
    with pytest.raises(ScenarioError) as info:
        run_sweep(spec, out, workers=0, progress=False)
    msg = str(info.value)
    assert "spec.toml" in msg and "design point 2" in msg and "p_post_public=0.3" in msg
    assert not out.exists()  # nothing was created, nothing ran


def test_bad_spec_creates_nothing(tmp_path: Path) -> None:
    path = spec_file(tmp_path, GOOD.replace('kind = "grid"', 'kind = "nope"'))
    out = tmp_path / "out"
    with pytest.raises(ScenarioError):
        run_sweep(path, out, workers=0, progress=False)
    assert not out.exists()


def test_categorical_factor_maps_unit_interval_to_items() -> None:
    f = Factor("consent", "strategy.consent.design", "lever", ("none", "blanket", "specific"))
    u = (np.arange(3000) + 0.5) / 3000
    vals = f.from_unit(u)
    assert {v: vals.count(v) for v in set(vals)} == {"none": 1000, "blanket": 1000,
                                                    "specific": 1000}
    assert f.from_unit([0.0, 1.0]) == ["none", "specific"]
    cont = Factor("t", "strategy.transparency", "lever", low=0.2, high=0.6)
    assert cont.from_unit([0.0, 0.5, 1.0]) == pytest.approx([0.2, 0.4, 0.6])


@pytest.mark.parametrize("kind", ["lhs", "sobol", "morris"])
def test_sampling_designs_give_only_valid_categorical_and_integer_values(
    tmp_path: Path, kind: str
) -> None:
    text = f"""
base = "{BASELINE}"
seed = 3
[design]
kind = "{kind}"
samples = 16
[[factors]]
key = "strategy.escalation.level"
name = "escalation"
role = "lever"
range = [0, 4]
integer = true
[[factors]]
key = "strategy.consent.design"
name = "consent"
role = "lever"
values = ["none", "blanket", "specific"]
[[factors]]
key = "trust.asymmetry"
role = "uncertainty"
range = [1.0, 5.0]
"""
    spec = load_spec(spec_file(tmp_path, text))
    design = build_design(spec)
    assert set(design["escalation"]) <= {0, 1, 2, 3, 4}
    assert all(isinstance(v, int) for v in design["escalation"].tolist())
    assert set(design["consent"]) <= {"none", "blanket", "specific"}
    assert design["asymmetry"].between(1.0, 5.0).all()
    assert len(set(design["escalation"])) >= 3 and len(set(design["consent"])) == 3
    expected = {"lhs": 16, "sobol": 16 * (3 + 2), "morris": 16 * (3 + 1)}[kind]
    assert len(design) == expected
    # The design is a function of the root seed only.
    assert build_design(spec).equals(design)
    assert design_points(design, spec)[0].keys() == {"escalation", "consent", "asymmetry"}


def test_seeds_common_random_numbers(tmp_path: Path) -> None:
    spec = load_spec(spec_file(tmp_path, GOOD))
    tasks = plan(spec, build_design(spec))
    by_rep = {r: {t.seed for t in tasks if t.replicate == r} for r in range(2)}
    assert len(by_rep[0]) == 1 and len(by_rep[1]) == 1  # shared across points
    assert by_rep[0] != by_rep[1]
    assert tasks[0].seed == run_seed(7, 0)

    indep = load_spec(spec_file(tmp_path, GOOD.replace("replicates = 2",
                                                   "replicates = 2\ncommon_random_numbers = false"),
                            "indep.toml"))
    seeds = [t.seed for t in plan(indep, build_design(indep))]
    assert len(set(seeds)) == len(seeds)
    assert indep.fingerprint() != spec.fingerprint()


def test_fingerprint_ignores_name_but_not_base(tmp_path: Path) -> None:
    a = load_spec(spec_file(tmp_path, GOOD))
    b = load_spec(spec_file(tmp_path, GOOD.replace('name = "t"', 'name = "u"'), "b.toml"))
    c = load_spec(spec_file(tmp_path, GOOD + '\n[overrides]\n"population.size" = 500\n', "c.toml"))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()


def test_load_spec_applies_set_overrides_to_the_file_and_the_base():
    path = ROOT / "scenarios/sweeps/screening.toml"
    spec = load_spec(path, overrides=["design.samples=3", "overrides.population.size=700",
                                      "replicates=2"])
    assert spec.design.samples == 3
    assert spec.replicates == 2
    assert spec.base["population"]["size"] == 700
    with pytest.raises(ScenarioError, match=r"design\.sample: unknown key; did you mean"):
        load_spec(path, overrides={"design.sample": 3})


def test_an_unknown_design_is_the_only_problem_reported():
    for name in ("screening", "escalation_vs_transparency"):
        with pytest.raises(ScenarioError) as err:
            load_spec(name, overrides={"design.kind": "factorial"})
        assert [p.key for p in err.value.problems] == ["design.kind"]


def test_one_error_lists_design_and_factor_problems_together():
    with pytest.raises(ScenarioError) as err:
        load_spec("sensitivity", overrides={"design.samples": 10,
                                            "factors.0.key": "strategy.rech"})
    keys = [p.key for p in err.value.problems]
    assert keys == ["design.samples", "factors[0].key"]
    assert "did you mean 'strategy.reach'" in str(err.value)
    blamed = err.value.blaming(["design.samples", "factors.0.key"])
    assert [p.file for p in blamed.problems] == ["--set", "--set"]


# -- size limits and names (issue 11, items 1 and 2) ----------------------------------

ISHIGAMI = """
name = "ish"
seed = 1
{top}
[model]
function = "sim.sweep.runners:ishigami"
[design]
{design}
"""


def ishigami_spec(tmp_path: Path, design: str, factors: str, top: str = "") -> Path:
    text = ISHIGAMI.format(top=top, design=design) + factors
    return spec_file(tmp_path, text, "ish.toml")


def grid_factor(key: str, steps: int) -> str:
    return (f'[[factors]]\nkey = "{key}"\nrole = "uncertainty"\nrange = [0.0, 1.0]\n'
            f"steps = {steps}\n")


THREE = "".join(grid_factor(k, 3) for k in ("x1", "x2", "x3"))
SAMPLED = "".join(f'[[factors]]\nkey = "{k}"\nrole = "uncertainty"\nrange = [0.0, 1.0]\n'
                  for k in ("x1", "x2", "x3"))


@pytest.mark.parametrize(("design", "factors", "top", "key", "runs"), [
    ('kind = "grid"', THREE, "replicates = 1000000000", "replicates", "27,000,000,000"),
    ('kind = "grid"', "".join(grid_factor(f"x{i}", 1000) for i in range(7)), "", "factors",
     "1,000,000,000,000,000,000,000"),
    ('kind = "lhs"\nsamples = 1000000000', SAMPLED, "", "design.samples", "1,000,000,000"),
    ('kind = "sobol"\nsamples = 1099511627776', SAMPLED, "", "design.samples",
     "5,497,558,138,880"),
    ('kind = "grid"', THREE.replace('range = [0.0, 1.0]\nsteps = 3',
                                    "range = [0, 1000000000000]\ninteger = true", 1),
     "", "factors", "9,000,000,000,009"),
], ids=["replicates", "seven-grid-factors", "lhs", "sobol", "integer-range"])
def test_a_sweep_too_large_is_refused_before_anything_is_allocated(
    tmp_path: Path, design: str, factors: str, top: str, key: str, runs: str
) -> None:
    import tracemalloc

    path = ishigami_spec(tmp_path, design, factors, top)
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as info:
            load_spec(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [p.key for p in info.value.problems] == [key]
    msg = str(info.value)
    assert "ish.toml" in msg and f"{runs} runs" in msg and "limit of 10,000,000" in msg
    assert "--max-runs" in msg
    assert peak < 20e6  # nothing of the design's size was built


def test_the_limit_can_be_raised_or_lowered(tmp_path: Path) -> None:
    path = ishigami_spec(tmp_path, 'kind = "grid"', THREE, "replicates = 2")
    assert load_spec(path).n_runs() == 54
    with pytest.raises(ScenarioError, match=r"54 runs .* limit of 50"):
        load_spec(path, max_runs=50)
    with pytest.raises(ScenarioError, match="limit of 50"):
        run_sweep(load_spec(path), tmp_path / "out", workers=0, progress=False, max_runs=50)
    assert not (tmp_path / "out").exists()
    big = ishigami_spec(tmp_path, 'kind = "grid"', THREE, "replicates = 400000")
    assert load_spec(big, max_runs=20_000_000).n_runs() == 10_800_000


def test_max_runs_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from sim.sweep.cli import add_parsers

    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers())
    path = ishigami_spec(tmp_path, 'kind = "grid"', THREE)
    out = tmp_path / "out"
    args = parser.parse_args(["sweep", str(path), "--out", str(out), "--workers", "0",
                              "--max-runs", "26", "-q"])
    assert args.func(args) == 1
    assert "27 runs" in capsys.readouterr().err and not out.exists()
    args = parser.parse_args(["sweep", str(path), "--out", str(out), "--workers", "0",
                              "--max-runs", "27", "-q"])
    assert args.func(args) == 0 and (out / "results.parquet").is_file()


def test_a_huge_integer_range_is_sampled_without_listing_it(tmp_path: Path) -> None:
    factors = SAMPLED.replace("range = [0.0, 1.0]", "range = [0, 1000000000000]\ninteger = true",
                              1)
    spec = load_spec(ishigami_spec(tmp_path, 'kind = "lhs"\nsamples = 8', factors))
    assert isinstance(spec.factors[0].values, range)
    assert spec.factors[0].to_dict()["range"] == [0, 10**12]
    design = build_design(spec)
    assert all(isinstance(v, int) and 0 <= v <= 10**12 for v in design["x1"])
    assert len(set(design["x1"])) == 8
    from sim.sweep.spec import spec_from_dict

    assert spec_from_dict(spec.to_dict()).fingerprint() == spec.fingerprint()


@pytest.mark.parametrize("name", ["../../escape", "/abs/path/x", "..", "a/../../b", ".hidden"])
def test_a_sweep_name_cannot_direct_a_write_outside_the_results_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    text = ISHIGAMI.format(top="", design='kind = "grid"').replace('"ish"', f'"{name}"')
    spec = load_spec(spec_file(tmp_path, text + THREE, "named.toml"))
    assert "/" not in spec.name and "\\" not in spec.name and not spec.name.startswith(".")
    res = run_sweep(spec, workers=0, progress=False)
    assert res.out.resolve().parent == (work / "results" / "sweeps").resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["named.toml", "work"]
    assert not Path("/abs").exists()


def test_every_schema_problem_is_listed_with_its_key_value_and_a_hint(tmp_path: Path) -> None:
    text = f"""
base = "{BASELINE}"
seed = -3
replicates = 0
kpis = ["retension", "mean_trust"]
colour = "blue"
[design]
kind = "sobol"
samples = 100
level = 4
[[factors]]
key = "strategy.transparency"
role = "brand"
range = [0.0, 1.0]
[[factors]]
key = "strategy.reach"
role = "lever"
range = [0.0, 1.0]
steps = 3
[[factors]]
key = "wom.p_post_public"
role = "uncertainty"
values = [0.1, "x"]
"""
    with pytest.raises(ScenarioError) as info:
        load_spec(spec_file(tmp_path, text))
    by_key = {p.key: p for p in info.value.problems}
    assert list(by_key) == ["seed", "replicates", "design.samples", "design.level",
                            "factors[0].role", "factors[1].steps", "factors[2].values",
                            "kpis[0]", "colour"]
    assert all(p.file and p.file.endswith("spec.toml") for p in by_key.values())
    assert by_key["seed"].value == -3 and "0..2**63-1" in by_key["seed"].message
    assert "did you mean 'levels'?" in by_key["design.level"].message
    assert "did you mean 'retention'?" in by_key["kpis[0]"].message
    assert by_key["kpis[0]"].value == "retension"
    assert "'lever' (the brand's choice) or 'uncertainty'" in by_key["factors[0].role"].message
    assert "allowed: ['analysis', 'base', 'common_random_numbers'" in by_key["colour"].message


def test_schema_models_are_frozen_and_strict() -> None:
    from pydantic import ValidationError

    from sim.sweep.schema import DesignTable

    d = DesignTable.model_validate({"kind": "lhs", "samples": 8})
    with pytest.raises(ValidationError):
        d.samples = 9  # type: ignore[misc]
    for bad in ({"kind": "lhs", "samples": 8.0}, {"kind": "lhs", "samples": True},
                {"kind": "lhs", "samples": 8, "extra": 1}):
        with pytest.raises(ValidationError):
            DesignTable.model_validate(bad)


def test_a_model_function_that_is_not_a_reference_is_one_clear_problem(tmp_path: Path) -> None:
    # Only its shape is checked here: importing it is for run time, when allowed
    # (tests/test_sweep_hardening.py).
    for ref in ("no_colon", "a b:c", "mod:"):
        text = ISHIGAMI.format(top="", design='kind = "grid"').replace(
            "sim.sweep.runners:ishigami", ref)
        with pytest.raises(ScenarioError) as info:
            load_spec(spec_file(tmp_path, text + THREE, "fn.toml"))
        assert [p.key for p in info.value.problems] == ["model.function"]
        assert '"trustsim" or "package.module:function"' in str(info.value)
        assert "fn.toml" in str(info.value)
