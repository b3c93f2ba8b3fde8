"""Labelled-dataset exports: JSONL, CSV, Label Studio JSON and CoNLL BIO spans, with a dataset card.

Entry points: `services.write_export` (command, task), `tasks.run_export_job` (queue), the
`export` and `import_dataset` commands, the API (`api.py`) and the leads' page (`views.py`).
"""
