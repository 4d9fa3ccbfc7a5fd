"""Output writers: one module per format (``epub``; ``markdown`` and ``jsonl`` to come)."""
