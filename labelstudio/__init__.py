"""The Label Studio round trip: labeling config, push, pull and file import."""
