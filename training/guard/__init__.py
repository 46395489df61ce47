"""Training the answer check's detectors: labelled claims, minimal answer edits, and fitting."""
