"""Fast paths to feedparser's own result: ``feed`` runs feedparser with expat's text buffering
on, ``rss`` reads the common plain RSS 2.0 shape directly; anything else falls back to
feedparser's handler."""
