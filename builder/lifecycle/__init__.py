"""The lifecycle: the buildpack contract and the phases that drive it.

    contract   what detectors and buildpacks get and return (CNB-shaped)
    registry   which detectors and buildpacks exist, in detection order
    detect     DETECT: first passing detector wins; reasons for every answer
    layercache layer directories kept between builds, by metadata
    export     EXPORT: run image + launch layers + app → image config and layers
    pipeline   SOURCE → DETECT → BUILD → EXPORT → PUBLISH as one function
"""
