"""Full text for feeds that carry only a summary (issue 18)."""
