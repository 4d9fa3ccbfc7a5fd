"""Every default feed2book decides, decided once: timeouts, size caps, image and cover sizes,
the user agent, the zip epoch, the language, how far OPML lists are followed.

A stage, an options dataclass or a CLI option that needs one of these values imports it from
here; ``tests/test_defaults.py`` fails when one of the literals reappears anywhere else in the
package. Tuning constants that belong to one algorithm (chunk sizes, tree depths, retry
back-off) stay beside the code they tune.

The bottom layer of the package: it imports nothing of feed2book but the version.
"""

from __future__ import annotations

from typing import Final

from feed2book import __version__

MIB: Final = 1024 * 1024  # bytes in a mebibyte: the size caps below are counted in them

# --- network: feeds, images, article pages --------------------------------------------------
TIMEOUT: Final = 15.0  # seconds per network operation (connect, read, write): `--timeout`
DEADLINE: Final = 60.0  # seconds for one whole download, every byte of its body included
MAX_REDIRECTS: Final = 5  # redirects followed for one download
RETRIES: Final = 3  # retries of an image or page on 429/5xx and connection errors
PER_HOST: Final = 2  # politeness: requests at once to one host (images, pages)
USER_AGENT: Final = f"feed2book/{__version__} (+https://pypi.org/project/feed2book/; feed reader)"

# --- size caps --------------------------------------------------------------------------------
MAX_FEED_BYTES: Final = 50 * MIB  # one feed, downloaded or local (feedparser holds copies)
MAX_LOCAL_BYTES: Final = 200 * MIB  # any local file named as a source, before it is sniffed
MAX_IMAGE_BYTES: Final = 10 * MIB  # one image as downloaded and decoded
MAX_PAGE_BYTES: Final = 5 * MIB  # one article page fetched for `--full-text`
KINDLE_MAX_IMAGE_BYTES: Final = 5 * MIB  # Amazon's limit for one image in a Kindle book

# --- how far one run follows OPML lists and HTML pages ----------------------------------------
MAX_SOURCES: Final = 1000  # sources named by lists and pages: `--max-sources`
LIST_DEADLINE: Final = 600.0  # seconds spent reading what lists name: `--list-deadline`

# --- books ------------------------------------------------------------------------------------
IMAGE_MAX_PX: Final = 1600  # longest image edge for e-readers, and the width srcset aims at
# Apple Books: at most 4 million pixels per image (Apple's asset guide); 2000 x 2000 is that.
APPLE_IMAGE_MAX_PX: Final = 2000
COVER_SIZE: Final = (1600, 2560)  # cover pixels, 1:1.6: the size Kindle and Kobo recommend
LANGUAGE: Final = "en"  # a feed, book or cover that names no (believable) language
EPUB_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)  # zip entries' time: the earliest a zip can hold
BUNDLE_ZIP_TIME: Final = (2000, 1, 1, 0, 0, 0)  # zipped Markdown bundles' entry time

# --- processes, library, delivery -------------------------------------------------------------
PARALLEL_MIN_ITEMS: Final = 200  # fewer feed items are parsed in this process (a helper costs)
# A feed of this many items or more is read again rather than held (its entries' dictionaries
# take ~2 KB each), and its articles are made this many at a time.
STREAM_MIN_ITEMS: Final = 5_000
BUSY_TIMEOUT: Final = 30.0  # seconds to wait for another process's library write lock
SMTP_TIMEOUT: Final = 60.0  # seconds per SMTP operation when e-mailing a book
PASSWORD_COMMAND_TIMEOUT: Final = 60.0  # seconds: `pass` may ask gpg-agent for a passphrase
