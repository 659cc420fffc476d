"""Market presets: the fit reproduces the survey targets (a known answer)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.markets import (
    SEGMENTS,
    fit_market,
    list_markets,
    load_market,
    validate_market,
    write_market,
)
from sim.population import sample_population
from tests.helpers import SCENARIOS

DANISH = {"boundary_crossing@0.95": 0.42, "would_stop": 0.77, "wants_consent": 0.52,
          "reads_terms": 0.01}


def _population(market: str, n: int, seed: int = 1):
    m = fit_market(market)
    return m, sample_population(
        m, n, np.random.default_rng(seed), initial_trust=0.6, trust_concentration=20,
        social_threshold=0.18, social_threshold_sd=0.0, initial_churned=0,
    )


def test_builtin_presets_listed():
    assert {"denmark_dsi2020", "global_dsi2020"} <= set(list_markets())


def test_danish_fit_is_exact_in_expectation():
    m = fit_market("denmark_dsi2020")
    for q, target in DANISH.items():
        assert m.targets[q] == target
        assert m.fitted[q] == pytest.approx(target, abs=1e-9)


def test_danish_population_answers_survey_within_1pp_at_100k():
    _, pop = _population("denmark_dsi2020", 100_000)
    shares = pop.survey_shares({"boundary_crossing@0.95": 0.95})
    for q, target in DANISH.items():
        assert abs(shares[q] - target) < 0.01, (q, shares[q], target)


def test_run_reports_survey_beside_targets():
    sc = sim.scenario_from_dict({}, {"population.size": 100_000, "run.weeks": 1,
                                     "network.kind": "none"})
    res = sim.run(sc)
    survey = res.survey.set_index("question")
    assert set(survey.index) == set(DANISH)
    assert (survey["error_pp"].abs() < 1.0).all()
    assert np.allclose(survey["target"], [DANISH[q] for q in survey.index])


def test_global_preset_is_data_with_other_targets():
    m, pop = _population("global_dsi2020", 100_000)
    assert m.targets["boundary_crossing@0.95"] == 0.32
    assert m.targets["would_stop"] == 0.80
    assert m.targets["wants_consent"] == 0.67
    shares = pop.survey_shares({"boundary_crossing@0.95": 0.95})
    for q, target in m.targets.items():
        assert abs(shares[q] - target) < 0.01


def test_segments_are_ordered_by_concern():
    m = fit_market("denmark_dsi2020")
    mean_thr = m.threshold_a / (m.threshold_a + m.threshold_b)
    assert list(mean_thr) == sorted(mean_thr), "fundamentalists least tolerant"
    for d in ("would_stop", "wants_consent"):
        p = m.disposition_p[d]
        assert p[0] > p[1] > p[2]
    assert len(m.shares) == len(SEGMENTS)


def test_thresholds_are_spread_and_bimodal():
    """Acquisti, John & Loewenstein 2013: valuations are spread and even bimodal."""
    _, pop = _population("denmark_dsi2020", 50_000)
    hist, _ = np.histogram(pop.threshold, bins=10, range=(0, 1))
    interior_min = hist[1:-1].min()
    assert hist[-1] > 3 * interior_min and hist[:5].max() > interior_min


def test_user_market_file_with_two_crossing_targets_fits_spread(tmp_path):
    text = (sim.builtin_dir() / "markets" / "denmark_dsi2020.toml").read_text()
    text = text.replace(
        "boundary_crossing = [{ intrusiveness = 0.95, share = 0.42 }]",
        "boundary_crossing = [{ intrusiveness = 0.95, share = 0.42 },"
        " { intrusiveness = 0.65, share = 0.20 }]",
    )
    f = tmp_path / "mymarket.toml"
    f.write_text(text)
    m = fit_market(str(f))
    assert m.fitted["boundary_crossing@0.65"] == pytest.approx(0.20, abs=1e-4)
    assert m.fitted["boundary_crossing@0.95"] == pytest.approx(0.42, abs=1e-4)


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("share = 0.23", "share = 0.5", "add up to 1"),
        ("would_stop = 0.77", "would_stop = 1.5", "targets.would_stop"),
        ("reads_terms = 0.01", "reads_terms = 'few'", "targets.reads_terms"),
        ("[fit]", "bogus = 1\n[fit]", "bogus"),
    ],
)
def test_bad_market_file_names_file_and_key(tmp_path, old, new, needle):
    text = (sim.builtin_dir() / "markets" / "denmark_dsi2020.toml").read_text()
    f = tmp_path / "bad_market.toml"
    f.write_text(text.replace(old, new, 1))
    with pytest.raises(sim.ScenarioError) as exc:
        fit_market(str(f))
    assert "bad_market.toml" in str(exc.value)
    assert needle in str(exc.value)


def test_unknown_market_lists_allowed():
    with pytest.raises(sim.ScenarioError) as exc:
        sim.scenario_from_dict({}, {"population.market": "atlantis", "population.size": 100})
    msg = str(exc.value)
    assert "population.market" in msg and "denmark_dsi2020" in msg and "atlantis" in msg


def test_write_market_round_trips_and_fits(tmp_path):
    data = load_market("denmark_dsi2020").model_dump()
    data["name"] = "Test market"
    data["targets"]["would_stop"] = 0.6
    data["segments"]["fundamentalist"]["share"] = 0.3
    data["segments"]["unconcerned"]["share"] = 1 - 0.3 - data["segments"]["pragmatist"]["share"]
    path = write_market(data, tmp_path / "test.toml", comment="A test market\nsecond line")
    text = path.read_text()
    assert text.startswith("# A test market\n# second line\n")
    assert load_market(str(path)).model_dump() == validate_market(data).model_dump()
    fm = fit_market(str(path))
    assert abs(fm.fitted["would_stop"] - 0.6) < 1e-6
    sc = sim.load_scenario(SCENARIOS / "baseline.toml",
                           overrides={"population.market": str(path)})
    assert sc.population.market == str(path)
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        write_market(data, path)
    write_market(fm.spec, path, overwrite=True)
    with pytest.raises(ValueError, match=r"must end in \.toml"):
        write_market(data, tmp_path / "test.txt")


def test_write_market_refuses_invalid_data_and_writes_nothing(tmp_path):
    data = load_market("denmark_dsi2020").model_dump()
    data["targets"]["wants_consent"] = 1.5
    with pytest.raises(ScenarioError) as err:
        write_market(data, tmp_path / "bad.toml")
    assert "targets.wants_consent" in str(err.value) and "bad.toml" in str(err.value)
    assert not (tmp_path / "bad.toml").exists()
    assert list(tmp_path.iterdir()) == []
