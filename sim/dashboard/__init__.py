"""The interactive dashboard (``trustsim dashboard``), in Solara.

Needs the ``dashboard`` extra (``pip install 'trustsim[dashboard]'``).
In a notebook::

    from sim.dashboard import Dashboard
    Dashboard("baseline")   # the cell's last line displays the app

Modules: :mod:`~sim.dashboard.schema` (controls from the scenario schema),
:mod:`~sim.dashboard.session` (live and paired runs), :mod:`~sim.dashboard.charts`
(figures), :mod:`~sim.dashboard.neighbourhood` (network sample),
:mod:`~sim.dashboard.export`, :mod:`~sim.dashboard.sweeps`,
:mod:`~sim.dashboard.app` (the components) and :mod:`~sim.dashboard.cli`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Dashboard"]


def __getattr__(name: str) -> Any:
    if name == "Dashboard":  # lazy: solara is imported only when the app is wanted
        from sim.dashboard.app import Dashboard

        return Dashboard
    raise AttributeError(name)
