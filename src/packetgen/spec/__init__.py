"""The packet spec: what the trainer writes, read and checked.

_sources (parsing with positions; _yaml_help explains YAML mistakes) -> loader
(limits, files, the models, pydantic's errors as located problems) -> models.
Also the JSON schema, the ``init`` starter and attendee lists.

In: YAML, JSON or TOML text (or data). Out: a validated ``Packet``, or a
``SpecError`` listing every problem at its line, column and field.
"""
