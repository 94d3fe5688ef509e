"""The step contract: what Knative Build (v1alpha1) and Tekton (v1) give a build step, in one place.

Every manifest dockless ships is rendered from this, and the test that runs
the Task's script under Docker reads it too, so the three cannot drift apart.
Sources: Knative Build's runtime contract (source in /workspace, HOME
/builder/home with the docker-0 secret's .docker/config.json); Tekton's
Task reference (workspaces under /workspace/<name>, results under
/tekton/results, `$(workspaces.<name>.bound)`); the Tekton catalog's
buildpacks Task (params APP_IMAGE, SOURCE_SUBPATH, ENV_VARS, RUN_IMAGE,
CACHE_DIR; workspaces source, cache, dockerconfig; uid 1000); Tekton Chains,
which signs images it finds through results named IMAGE_URL / IMAGE_DIGEST.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepContract:
    """Names and paths of the step contract (all strings as Tekton and Knative spell them)."""

    uid: int = 1000                                 # the step runs as this user (the builder image's USER)
    knative_source: str = "/workspace"              # Knative Build: the source, checked out
    knative_home: str = "/builder/home"             # Knative Build: HOME, with .docker/config.json
    knative_cache: str = "/cache"                   # the BuildTemplate's cache volume
    result_digest: str = "IMAGE_DIGEST"             # sha256:<hex>, no newline (kaniko's --digest-file)
    result_url: str = "IMAGE_URL"                   # the image as pushed, repository[:tag]
    param_image: str = "APP_IMAGE"                  # Tekton: where to push
    param_subpath: str = "SOURCE_SUBPATH"           # Tekton: the app's directory inside the source workspace
    param_env: str = "ENV_VARS"                     # Tekton: array of K=V build-time variables
    param_run_image: str = "RUN_IMAGE"              # Tekton: base image ("" = the built-in stack)
    param_cache_dir: str = "CACHE_DIR"              # Tekton: sub-directory of the cache workspace
    workspace_source: str = "source"
    workspace_cache: str = "cache"
    workspace_dockerconfig: str = "dockerconfig"


CONTRACT = StepContract()
