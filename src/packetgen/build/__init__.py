"""The build: the order of the stages, the worker pool, the cache and the
check that runs every stage short of writing.

In: a spec and an output folder. Out: the outputs, written atomically.
"""
