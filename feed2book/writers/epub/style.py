"""The book's stylesheet, kept as a string so packaging needs no data files.

Made for e-ink and phones: the reader's own font size and margins are respected (no pixel sizes,
no ``font-size`` on ``body``), code wraps instead of running off the page, tables and images fit
the page width. Every page is also readable without it (Kindle and Kobo may ignore parts of it).

Code is set in ``monospace, monospace``: a lone ``monospace`` makes WebKit/Blink (calibre, Apple
Books, Kobo) start from their smaller monospace default size, which rendered code at 0.68-0.72x
the body; with the doubled family 0.9em is 0.9x (measured through calibre, see
tests/test_rendering.py). No colour is set anywhere: rules and borders use ``currentColor``, so
night themes and dark backgrounds, which change the text colour, change them too.
"""

STYLESHEET = """\
body {
  font-family: serif;
  line-height: 1.4;
  orphans: 2;
  widows: 2;
}

p {
  margin: 0 0 0.8em 0;
  text-indent: 0;
}

h1, h2, h3, h4, h5, h6 {
  line-height: 1.2;
  margin: 1.2em 0 0.5em 0;
  page-break-after: avoid;
  break-after: avoid;
  page-break-inside: avoid;
  break-inside: avoid;
}

h1 { font-size: 1.6em; }
h2 { font-size: 1.35em; }
h3 { font-size: 1.15em; }
h4, h5, h6 { font-size: 1em; }

a { color: inherit; text-decoration: underline; }

img, svg, video {
  max-width: 100%;
  height: auto;
}

figure { margin: 1em 0; }
figcaption { font-size: 0.9em; font-style: italic; }

blockquote {
  margin: 1em 1.2em;
  padding: 0;
}

pre {
  font-family: monospace, monospace;
  font-size: 0.9em;
  line-height: 1.3;
  white-space: pre-wrap;
  word-wrap: break-word;
  overflow-wrap: break-word;
  margin: 1em 0;
  padding: 0 0 0 0.6em;
  border-left: 0.15em solid currentColor;
  page-break-inside: auto;
  break-inside: auto;
}

code, kbd, samp, tt {
  font-family: monospace, monospace;
  font-size: 0.9em;
  word-wrap: break-word;
  overflow-wrap: break-word;
}

pre code { font-size: 1em; }

table {
  border-collapse: collapse;
  width: 100%;
  max-width: 100%;
  margin: 1em 0;
  font-size: 0.9em;
}

th, td {
  border: thin solid currentColor;
  padding: 0.2em 0.3em;
  vertical-align: top;
  word-wrap: break-word;
  overflow-wrap: break-word;
}

ul, ol { margin: 0 0 0.8em 0; padding: 0 0 0 1.5em; }
[dir="rtl"] ul, [dir="rtl"] ol { padding: 0 1.5em 0 0; }
[dir="rtl"] pre {
  border-left: none;
  border-right: 0.15em solid currentColor;
  padding: 0 0.6em 0 0;
}

hr { border: none; border-top: thin solid currentColor; margin: 1.5em 0; }

sup, sub { line-height: 0; }

.article-title { margin-top: 0; }
.article-meta { font-size: 0.9em; margin: 0 0 0.3em 0; }

.date { white-space: nowrap; }

.titlepage { text-align: center; }
.titlepage .book-title { font-size: 2em; margin: 20% 0 0.4em 0; }
.titlepage p { margin: 0 0 0.6em 0; }
.titlepage .subtitle { font-size: 1.2em; font-style: italic; margin: 0 0 1.6em 0; }
.titlepage .series { font-size: 1.05em; margin: 0 0 1.2em 0; }
.titlepage .authors { font-size: 1.3em; margin: 0 0 1.6em 0; }
.titlepage .dates, .titlepage .count { font-size: 0.95em; margin: 0 0 0.3em 0; }
.titlepage .feeds-label {
  font-size: 0.85em;
  font-style: italic;
  margin: 2.5em 0 0.3em 0;
  page-break-after: avoid;
  break-after: avoid;
}
.titlepage ul { list-style: none; padding: 0; margin: 0 0 0.6em 0; font-size: 0.85em; }
.titlepage li { margin: 0 0 0.2em 0; }
.titlepage .colophon { font-size: 0.75em; margin-top: 3em; }

.toc ol { list-style: none; padding: 0; margin: 0 0 1em 0; }
.toc li { margin: 0 0 0.5em 0; }
.toc .toc-meta { font-size: 0.85em; }

.cover { margin: 0; padding: 0; text-align: center; }
"""
