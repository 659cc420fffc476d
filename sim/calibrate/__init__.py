"""Calibration: fit a scenario's behavioural parameters to a brand's weekly data."""
