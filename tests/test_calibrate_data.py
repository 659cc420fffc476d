"""Brand data files: the format, the scale, and a clear error for each kind of bad data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.data import read_observed
from sim.errors import ScenarioError

GOOD = "week,customers,churned,complaints\n0,990,10,3\n1,985,5,4\n2,981,4,2\n"


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error(tmp_path: Path, text: str, **kw) -> str:
    with pytest.raises(ScenarioError) as exc:
        read_observed(write(tmp_path, text), **kw)
    return str(exc.value)


def test_a_good_file_gives_counts_rates_and_customers_at_risk(tmp_path):
    obs = read_observed(write(tmp_path, "# a comment line\n" + GOOD), weeks=52)
    assert obs.series == ["customers", "churned", "complaints"]
    assert obs.customers_at_start == 1000  # customers + churned of week 0
    assert obs.weeks.tolist() == [0, 1, 2]
    assert obs.rates()["complaints"].tolist() == [0.003, 0.004, 0.002]
    assert obs.at_risk().tolist() == [1000, 990, 985]
    assert obs.churn_counts().tolist() == [10, 5, 4]


def test_customers_alone_imply_the_weekly_losses(tmp_path):
    obs = read_observed(write(tmp_path, "week,customers\n1,980\n0,990\n2,\n"),
                        customers_at_start=1000)
    assert obs.weeks.tolist() == [0, 1, 2]  # rows in any order
    lost = obs.churn_counts()
    assert lost[:2].tolist() == [10, 10] and np.isnan(lost[2])


def test_parquet_reads_like_csv(tmp_path):
    path = tmp_path / "d.parquet"
    pd.DataFrame({"week": [0, 1], "purchases": [5, -1]}).to_parquet(path)
    with pytest.raises(ScenarioError, match=r"d\.parquet: row 2, column 'purchases': must not "
                                            r"be negative"):
        read_observed(path, customers_at_start=100)


@pytest.mark.parametrize("text, message", [
    ("week,churned\n0,3\n1,-2\n", r"data\.csv: line 3, column 'churned': must not be negative"),
    ("week,churned\n0,3\n1,abc\n", r"data\.csv: line 3, column 'churned': must be a number"),
    ("week,churned\n0,3\n1,2.5\n", r"line 3, column 'churned': must be a whole number"),
    ("week,churned\n0,3\n1,inf\n", r"line 3, column 'churned': must be a finite number"),
    ("week,churned\n0,3\n3,2\n", r"column 'week': missing weeks 1, 2"),
    ("week,churned\n0,3\n0,2\n", r"line 3, column 'week': week 0 is repeated \(first on line 2\)"),
    ("week,churned\n0,3\n,2\n", r"line 3, column 'week': must not be empty"),
    ("week,churned\n0,3\n52,2\n", r"line 3, column 'week': week 52 is beyond the scenario's "
                                  r"last week \(51"),
    ("week,churnd\n0,3\n", r"column 'churnd': unknown column; did you mean 'churned'\?"),
    ("churned\n3\n", r"column 'week': required"),
    ("week\n0\n", r"no observed series"),
    ("week,churned\n0,3,4\n", r"line 2: has 3 cells, the header has 2"),
    ("week,customers\n0,990\n1,995\n", r"customers': rises from 990 in week 0 to 995 in week 1"),
])
def test_each_kind_of_bad_data_names_file_row_and_column(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message):
        read_observed(write(tmp_path, text), weeks=52, customers_at_start=1000)


def test_every_bad_cell_is_listed_at_once(tmp_path):
    text = error(tmp_path, "week,churned,complaints\n0,-1,x\n1,2,3\n", customers_at_start=10)
    assert "2 problems" in text and "'churned'" in text and "'complaints'" in text


def test_the_scale_is_needed_when_the_data_cannot_give_it(tmp_path):
    text = error(tmp_path, "week,complaints\n0,3\n")
    assert "observed.customers_at_start: required" in text


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.csv: data file not found"):
        read_observed(tmp_path / "nope.csv")
