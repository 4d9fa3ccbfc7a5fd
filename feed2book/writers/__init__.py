"""Output writers, one per format: ``epub/`` (EPUB 3), ``markdown`` (bundles and one document),
``jsonl`` (JSON Lines); ``base`` gives them one shape (``Writer``) and names them (``WRITERS``)."""
