"""Package data: the cover themes (``*.toml``) and the fonts they ship (``fonts/``, each with its
licence)."""
