"""Test support that ships with enrich: a fake OpenAI-compatible server on 127.0.0.1 (for its tests, benchmarks and yours)."""
