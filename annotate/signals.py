"""Signals of the annotate app for the apps above it (annotate imports none of them): cache
invalidation and "new articles are stored"."""

from django.dispatch import Signal

# Sent by annotate.services inside the write's transaction after marks were created, changed or
# deleted, with `sentence_ids`: the sentences whose marks changed. Receivers that act on the
# change should wait for the commit (transaction.on_commit).
marks_changed = Signal()

# Sent once the transaction that stored new articles (and their sentences) has committed, with
# `article_ids`: the articles created, in order. Whatever way the ingest stores them (one by one
# or in bulk), it sends this; model signals would miss bulk inserts.
articles_ingested = Signal()
