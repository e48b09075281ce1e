"""Uploaded images (objection evidence and later features): checked, stored, served."""
