"""`enrich eval`: scoring drafts against the posts people approved, and reporting it."""
