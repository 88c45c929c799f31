"""The packet spec: what the trainer writes, read and checked.

sources (parsing with positions) -> loader (validation, every problem located)
-> models. Also the JSON schema, the ``init`` starter and attendee lists.

In: YAML, JSON or TOML text (or data). Out: a validated ``Packet``, or a
``SpecError`` listing every problem at its line, column and field.
"""
