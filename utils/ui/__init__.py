"""What the learner sees: matplotlib figures (``plots``) and ipywidgets panels (``panels``).

Built on ``utils.engine``; lesson-specific figures live with their lesson in ``utils.lessons``.
"""
