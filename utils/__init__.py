"""Helpers for the hands-on course on Python's Global Interpreter Lock.

Modules, by concern:

- ``utils.environment``: what Python is running (version, GIL build and state, CPUs).
- ``utils.course``: the list of lessons.

Importing ``utils`` imports nothing heavy and starts nothing; import the module you need.
"""

__version__ = "0.1.0"
