"""The lifecycle: the buildpack contract and the phases that drive it, as the CNB lifecycle does.

    contract     what buildpacks get and return in detect and build (CNB Buildpack API 0.10-shaped)
    registry     the built-in buildpacks and the default order of groups
    detect       DETECT: first group whose required members pass and whose build plan resolves
    build        BUILD: each member in order; build layers reach the later members
    env          CNB env-file rules (override/default/prepend/append/delim)
    packages     Debian packages buildpacks ask for, at build and at launch
    launchcheck  every process can start in the image, checked before export
    layercache   layer directories kept between builds, by metadata
    export       EXPORT: run image + launch layers + SBOM + app → image config and layers
    cnb          external buildpacks written to the CNB Buildpack API (bin/detect, bin/build)
    pipeline     SOURCE → DETECT → BUILD → EXPORT → PUBLISH as one library call
    services     the real services of a build: the Debian stack, the sandbox, the run image
"""
