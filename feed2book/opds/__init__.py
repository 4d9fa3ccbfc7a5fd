"""The library as an OPDS catalogue: ``feed2book serve`` and ``feed2book opds -o DIR``.

``catalogue`` builds shelves of books from the library's articles (pure values, grouped as
``epub --group-by`` groups them); ``atom`` and ``opds2`` write OPDS 1.2 and OPDS 2.0 documents;
``layout`` says where each file is; ``files`` builds books, covers and thumbnails on demand,
named by their content; ``reading`` reads the library again when it changes; ``visits`` keeps
each reader's last visit; ``server`` answers HTTP requests; ``static`` writes the catalogue as
files.
"""
