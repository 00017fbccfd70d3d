"""From a validated spec to the fourteen PHP files: field table, compilation, templates."""
