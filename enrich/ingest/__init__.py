"""Reading raw inputs: decoding, captions and sidecar metadata (read.py), and removing noise (clean.py)."""
