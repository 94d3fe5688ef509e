"""Detectors: one module per ecosystem, each a read-only look at a workspace.

A detector answers `builder.lifecycle.contract.Detection` (pass or fail, with
reasons either way). They are listed, in order, in `builder.lifecycle.registry`.
"""
