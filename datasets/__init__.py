"""Labelled-dataset exports and imports, dataset cards and splits."""
