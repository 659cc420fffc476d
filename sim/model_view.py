"""What the weekly recorder reads from a running model, as a type.

:class:`sim.model.TrustModel` satisfies :class:`ModelView`; the recorder sits
below the model (the model owns a recorder), so it names this protocol
instead of importing the model, keeping the import graph free of cycles.
"""

from __future__ import annotations

from typing import Any, Protocol

from sim.config import Scenario
from sim.population import Population


class ModelView(Protocol):
    """The parts of a running model that :class:`sim.recorder.WeeklyRecorder` reads.

    Attributes:
        population: The consumers' state.
        config: The run's scenario.
        tally: This week's counts (level, reached, crossed, ...).
        time: Mesa's clock: the weeks simulated so far.
    """

    population: Population
    config: Scenario
    tally: dict[str, Any]
    time: float
    _initial_customers: int
