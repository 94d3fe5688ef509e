"""dockless as a build step: the step contract, the builder image, and the manifests that run it.

Modules: `contract` (what a Knative Build or Tekton step gives the container:
paths, users, results), `manifests` (the Tekton Task and Pipeline and the
Knative BuildTemplate rendered from the contract with jinja2).
"""

from __future__ import annotations

from .contract import CONTRACT, StepContract
from .manifests import render_manifests

__all__ = ["CONTRACT", "StepContract", "render_manifests"]
