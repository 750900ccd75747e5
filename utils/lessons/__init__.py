"""Material for one lesson each, built on ``utils.engine`` and ``utils.ui``.

``history`` (01), ``refcount`` (02), ``gil_internals`` (03), ``cpu_io`` (04), ``races`` (05),
``convoy`` (06), ``deadlocks`` (07), ``ipc`` (08), ``release`` (09), ``async_demos`` (10),
``beyond`` (11), ``free_threaded`` (12), ``strategy`` (13). A new lesson's code goes in a new module here; what two
lessons share moves down into the engine.
"""
