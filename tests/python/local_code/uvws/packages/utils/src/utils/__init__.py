NAME = "core-lib"
