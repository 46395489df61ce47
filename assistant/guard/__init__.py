"""Checks run on every answer before a person sees it: hallucination detectors, the confidence
calibrator, and the policy that turns their verdicts into a shown answer or an abstention."""
