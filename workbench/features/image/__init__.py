"""Image descriptors (the ``[image]`` extra)."""
