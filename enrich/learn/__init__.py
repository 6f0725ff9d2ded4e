"""`enrich init`: learn a site's front-matter format from its posts (learn.py) and write it (write.py)."""
