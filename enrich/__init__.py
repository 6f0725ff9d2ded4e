"""enrich: draft, validate, check and review the front matter of Markdown posts."""

__version__ = "0.1.0"
