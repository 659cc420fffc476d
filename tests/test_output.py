"""Results files: tables written as CSV read back as they were."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.files import write_csv


def test_csv_round_trips_types_and_missing_values(tmp_path):
    df = pd.DataFrame({
        "consumer_id": np.arange(3, dtype=np.int32),
        "segment": pd.Categorical(["a", "b, with comma", "a"]),
        "customer": [True, False, True],
        "trust": np.array([0.25, 0.5, np.nan], dtype=np.float32),
        "churn_week": pd.array([None, 3, None], dtype="Int32"),
    })
    path = tmp_path / "t.csv"
    write_csv(df, path)
    back = pd.read_csv(path)
    assert back["segment"].tolist() == ["a", "b, with comma", "a"]
    assert back["customer"].tolist() == [True, False, True]
    assert np.allclose(back["trust"], [0.25, 0.5, np.nan], equal_nan=True)
    assert back["churn_week"].isna().tolist() == [True, False, True]
    assert back["churn_week"][1] == 3


def test_csv_falls_back_to_pandas_for_mixed_columns(tmp_path):
    df = pd.DataFrame({"x": [1, "two", 3.0]})
    path = tmp_path / "m.csv"
    write_csv(df, path)
    assert path.read_text().splitlines() == ["x", "1", "two", "3.0"]
