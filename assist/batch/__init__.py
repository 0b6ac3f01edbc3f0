"""Batch work over files of utterances: evaluation, worker processes, coverage-gap discovery, reports
and the speed bench.
"""
