"""Suggested marks: attribution rules, the registry matcher and the learned label model."""
