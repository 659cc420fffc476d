"""The application layer: what the command line and notebooks save to disk.

- :mod:`sim.app.run_folder`: a run's results folder (write, read back, rebuild the report);
- :mod:`sim.app.comparison_folder`: a comparison's folder.

Below it sit the computations (:func:`sim.run`, :func:`sim.compare`, sweeps)
and the pure drawing (:mod:`sim.report`); above it only the command line.
"""
