#!/usr/bin/env bash
# Set up enrich in .venv and draft the included sample (offline unless an endpoint is configured).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q .
.venv/bin/enrich fixtures/zh-trade-article.txt --out drafts --force
echo "---- drafts/zh-trade-article.md ----"
head -40 drafts/zh-trade-article.md
