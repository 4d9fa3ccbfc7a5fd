"""Images: fetched, cached, made fit for e-readers, and embedded (issue 7).

The pipeline stage between ``clean`` (safe XHTML with remote ``<img>``) and the writers::

    options = ImageOptions()
    with ImageResolver(options) as resolver:
        book, resources = embed_book_images(book, resolver, options, on_problem=report)
    epub = build_epub(book, resources=resources)
    print(resolver.stats.summary_line())

``image_urls``/``ImageResolver.resolve``/``localise`` are the same steps one at a time;
``fit_book`` makes a built book fit a size limit (``--max-book-mb``).
"""

from feed2book.images.convert import Converted, convert_image, sniff
from feed2book.images.errors import ConversionError
from feed2book.images.options import (
    EmbeddedImage,
    ImageMode,
    ImageOptions,
    ImageStats,
    default_cache_dir,
)
from feed2book.images.resolver import ImageResolver
from feed2book.images.rewrite import embed_book_images, image_urls, localise
from feed2book.images.volumes import SHRINK_STEPS, fit_book, shrink_images

__all__ = [
    "SHRINK_STEPS",
    "ConversionError",
    "Converted",
    "EmbeddedImage",
    "ImageMode",
    "ImageOptions",
    "ImageResolver",
    "ImageStats",
    "convert_image",
    "default_cache_dir",
    "embed_book_images",
    "fit_book",
    "image_urls",
    "localise",
    "shrink_images",
    "sniff",
]
