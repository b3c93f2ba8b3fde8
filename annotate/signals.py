"""Signals of the annotate app, for cache invalidation only (stored scores go stale)."""

from django.dispatch import Signal

# Sent by annotate.services inside the write's transaction after marks were created, changed or
# deleted, with `sentence_ids`: the sentences whose marks changed. Receivers that act on the
# change should wait for the commit (transaction.on_commit).
marks_changed = Signal()
