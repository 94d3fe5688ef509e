"""The Ruby buildpack (id "ruby"): Ruby and Bundler from the Debian stack, the app's gems, launch processes.

Pairs with `detectors.ruby.RubyDetector`, whose `Detection.requires` it acts on.
"""

from __future__ import annotations

from .build import RubyBuildpack

__all__ = ["RubyBuildpack"]
