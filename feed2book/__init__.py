"""feed2book: turn blog feeds into EPUB books, Markdown bundles and JSON Lines.

The package is a library first; ``feed2book.cli`` is a thin layer over ``feed2book.pipeline``.
"""

__version__ = "0.1.0"
