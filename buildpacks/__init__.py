"""Buildpacks: one package per buildpack, each implementing `builder.lifecycle.contract.Buildpack`."""
