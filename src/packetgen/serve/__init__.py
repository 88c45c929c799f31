"""The local servers: the live preview (``serve``) and the browser editor (``edit``).

In: a spec's folder. Out: pages on 127.0.0.1, and for the editor, the saved spec.

``server`` watches the folder and rebuilds, ``handler`` answers HTTP, ``pages``
renders the server's own pages from ``templates/``, ``run`` serves until Ctrl-C;
the editor adds ``edit`` (its operations), ``edit_handler`` (its routes),
``edit_check``, ``new_items`` and ``_roundtrip`` (saving YAML as a person would).
"""
