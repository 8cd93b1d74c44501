# The two commands (README.md): `make demo` runs the main job locally, `make test` runs every test.
# Both do all set-up first (scripts/bootstrap.sh is idempotent and fast when nothing changed).
.PHONY: demo test bootstrap lint start

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	.venv/bin/python -m devhost demo

test: bootstrap
	.venv/bin/ruff check .
	.venv/bin/python -m pytest

lint: bootstrap
	.venv/bin/ruff check .

start: bootstrap
	.venv/bin/python -m devhost start
