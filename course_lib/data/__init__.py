"""Data for the course: bundled photos, image I/O, physical degradations and training pairs.

* :mod:`course_lib.data.images` - ``load_image`` / ``save_image`` with validation, and the offline photos.
* :mod:`course_lib.data.degrade` - haze, low light, MATLAB-compatible bicubic resizing, exposure brackets.
* :mod:`course_lib.data.datasets` - ``PairedFolder``, ``SyntheticPairs`` and ``mindspore.dataset`` loaders.
"""

from .images import (
    ImageError,
    heldout_images,
    load_image,
    photo,
    photo_names,
    real_photo,
    save_image,
    train_images,
)

__all__ = [
    "ImageError",
    "load_image",
    "save_image",
    "photo",
    "photo_names",
    "real_photo",
    "train_images",
    "heldout_images",
]
