"""Golden weekly tables of a few small scenarios, compared exactly by ``tests/test_golden.py``."""
