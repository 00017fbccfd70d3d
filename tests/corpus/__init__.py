"""A corpus of call data as real connectors send it (calls.py) and an independent model of what a
spec means (model.py), for the differential check in tests/test_corpus.py."""
