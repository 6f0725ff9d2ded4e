"""The one front-matter layer: split a file (`split`), read its YAML as the site's build does (`yaml12`),
write YAML in the site's style (`emit`), edit lines and verify the result (`edit`), and the provenance
comment (`provenance`).

Kept empty on purpose: `enrich check` imports `split` and `yaml12` only, and nothing here may pull in more.
"""
