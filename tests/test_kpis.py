"""The KPI registry: one entry per summary key, one formatter, clear errors."""

from __future__ import annotations

import pytest

import sim
from sim import kpis
from sim.errors import ScenarioError
from tests.helpers import small


def test_registry_order_is_the_summary_order():
    res = sim.run(small(population__size=300, run__weeks=3))
    assert list(res.summary) == list(kpis.KPIS)


def test_numeric_excludes_text_kpis_only():
    assert "final_level" not in kpis.numeric()
    assert kpis.numeric() == [k for k in kpis.KPIS if k != "final_level"]


def test_unknown_name_hints_the_closest():
    with pytest.raises(ScenarioError, match="did you mean 'retention'") as err:
        kpis.get("retension")
    assert isinstance(err.value, KeyError)
    assert "retension" in str(err.value)


def test_unknown_name_far_from_all_lists_them():
    with pytest.raises(KeyError, match=r"allowed: .*'mean_trust'"):
        kpis.get("zzz")


@pytest.mark.parametrize(("name", "value", "text"), [
    ("retention", 0.83125, "83.1%"),
    ("revenue_cumulative", 1234567.4, "1,234,567"),
    ("customers", 12345, "12,345"),
    ("mean_trust", 0.64249, "0.642"),
    ("final_level", "standard", "standard"),
])
def test_format_value(name, value, text):
    assert kpis.format_value(name, value) == text


@pytest.mark.parametrize(("name", "value", "text"), [
    ("retention", 0.0125, "+1.25 pp"),
    ("retention", -0.00001, "+0.00 pp"),  # never "-0"
    ("revenue_cumulative", -3400.2, "-3,400"),
    ("complaints", 2.04, "+2.0"),
    ("mean_trust", 0.0121, "+0.012"),
])
def test_format_diff(name, value, text):
    assert kpis.format_diff(name, value) == text


def test_axis_label_mentions_run_length_for_whole_run_kpis():
    assert kpis.axis_label("revenue_cumulative", 52) == (
        "cumulative revenue over 52 weeks (currency units)")
    assert kpis.axis_label("mean_trust", 52, unit=False) == "mean trust"
    assert kpis.axis_label("not_a_kpi") == "not a kpi"


def test_every_kpi_has_labels_and_a_known_direction():
    for k in kpis.KPIS.values():
        assert k.label and k.short and k.description and k.axis
        assert k.better in ("higher", "lower", "none")
        assert k.fmt in ("percent", "money", "count", "trust", "text")
