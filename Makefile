# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: run test lint bench serve bench-peer screenshots

run:  ## run the app on SQLite with demo data at http://127.0.0.1:8000/ (and a task worker)
	scripts/run

test:  ## install what tests need and run the whole suite (SQLite, then PostgreSQL)
	scripts/test

screenshots:  ## every page at desktop and phone width into artifacts/screenshots/ (the browser tests, axe-core included)
	scripts/screenshots

lint:  ## ruff, formatting, import contracts, static types, migrations check (needs no secrets)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-logo
	DEBUG=true .venv/bin/mypy
	DEBUG=true .venv/bin/python manage.py makemigrations --check --dry-run

serve:  ## production-style: gunicorn + whitenoise + a supervised task worker (needs SECRET_KEY, ALLOWED_HOSTS; DATABASE_URL)
	scripts/serve

bench-peer:  ## side by side with doccano 1.8.4 (../shared/peerbench): ~40 min; PEER_ARGS="--n 1000 --repeats 1" for a look
	.venv/bin/python bench/peer.py $(PEER_ARGS)
