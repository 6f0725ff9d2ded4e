"""The human review: views of drafts, the decisions on them (approve.py) and the inbox status."""
