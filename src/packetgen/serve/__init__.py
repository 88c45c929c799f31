"""The local servers: the live preview (``serve``) and the browser editor (``edit``).

In: a spec's folder. Out: pages on 127.0.0.1, and for the editor, the saved spec.
"""
