"""Material for one lesson each, built on ``utils.engine`` and ``utils.ui``.

``history`` (01), ``refcount`` (02), ``gil_internals`` and ``switching`` (03), ``cpu_io`` (04),
``races``, ``check_then_act`` and ``lock_spy`` (05), ``convoy`` (06), ``deadlocks`` (07, a package),
``ipc`` (08, a package), ``release`` (09, a package), ``async_demos`` (10), ``beyond`` (11),
``free_threaded`` (12), ``strategy`` and ``capstone`` (13). A new lesson's code goes in a new
module here; what two lessons share moves down into the engine.
"""
