"""The Tekton Task and Pipeline and the Knative Build manifests, rendered from the step contract.

jinja2 renders the YAML templates in `templates/` (StrictUndefined: a name
missing from the context is an error, not an empty string). The builder image
is the one parameter users change, ideally to the digest `dockless builder
create` printed.
"""

from __future__ import annotations

from importlib import metadata, resources

import jinja2

from .contract import CONTRACT, StepContract

DEFAULT_BUILDER = f"docker.io/dockless/builder:{metadata.version('dockless')}"
"""A versioned tag, never :latest (tekton-lint's no-latest-image): a Task should not change under its users."""
FILES = {
    "tekton/task.yaml": "tekton-task.yaml.j2",
    "tekton/pipeline.yaml": "tekton-pipeline.yaml.j2",
    "knative/build/buildtemplate.yaml": "knative-buildtemplate.yaml.j2",
    "knative/build/service-v1alpha1.yaml": "knative-service-v1alpha1.yaml.j2",
}
"""Output path (relative to examples/) → template name."""


def render_manifests(builder_image: str = DEFAULT_BUILDER, contract: StepContract = CONTRACT) -> dict[str, str]:
    """{relative path: YAML text} for every manifest in FILES, for `builder_image`."""
    env = jinja2.Environment(loader=jinja2.FunctionLoader(_template), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, autoescape=False)
    context = {"builder": builder_image, "c": contract}
    return {path: env.get_template(name).render(context) for path, name in FILES.items()}


def _template(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")
