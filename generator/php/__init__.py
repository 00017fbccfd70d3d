"""Everything that touches PHP: literals (escaping), the harness runner, and lint checks."""
