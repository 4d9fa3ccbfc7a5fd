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

from __future__ import annotations

from typing import TYPE_CHECKING

from feed2book.lazy import lazy_attributes

if TYPE_CHECKING:
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

# Imported on first use (PEP 562), so `import feed2book.images` and the CLI start fast.
_LAZY = {
    "Converted": "feed2book.images.convert",
    "convert_image": "feed2book.images.convert",
    "sniff": "feed2book.images.convert",
    "ConversionError": "feed2book.images.errors",
    "EmbeddedImage": "feed2book.images.options",
    "ImageMode": "feed2book.images.options",
    "ImageOptions": "feed2book.images.options",
    "ImageStats": "feed2book.images.options",
    "default_cache_dir": "feed2book.images.options",
    "ImageResolver": "feed2book.images.resolver",
    "embed_book_images": "feed2book.images.rewrite",
    "image_urls": "feed2book.images.rewrite",
    "localise": "feed2book.images.rewrite",
    "SHRINK_STEPS": "feed2book.images.volumes",
    "fit_book": "feed2book.images.volumes",
    "shrink_images": "feed2book.images.volumes",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


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
