"""dockless: source to OCI image with no Dockerfile and no Docker daemon.

The engine: `source` (fetch), `lifecycle` (detect, build, export), `image`
(values), `registry` / `layout` / `archive` / `daemon` (media), `stack`
(the Debian run image and build root), `sandbox` (where build commands run),
`cli` (the `dockless` command). See README.md for the architecture.
"""
