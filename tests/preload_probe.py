"""A module for ``parallel.preload``'s test: importing it leaves a mark, the importing process's
id in the file ``FEED2BOOK_TEST_PRELOAD_MARK`` names."""

import os
from pathlib import Path

Path(os.environ["FEED2BOOK_TEST_PRELOAD_MARK"]).write_text(str(os.getpid()))
