"""`enrich check` and `enrich fix`: findings against the profile and the vocabulary, and minimal verified fixes."""
