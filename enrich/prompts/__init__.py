"""Prompt templates shipped with enrich (a site may override any file in .enrich/prompts/)."""
