"""Emitting PHP: the shared runtime's helpers, the field table's accessors, phone metadata, and
the Jinja environment that lays out a file.  What a customization's rules become is decided in
generator/customizations/; this package only turns that into text."""
