#!/usr/bin/env bash
# Set up a virtual environment from pyproject.toml and run every test and static check.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
.venv/bin/python -m ruff check enrich tests bench
.venv/bin/python -m ruff format --check enrich tests bench
.venv/bin/python -m mypy
.venv/bin/python -m mypy --strict tests bench
.venv/bin/python -m pytest "$@"
