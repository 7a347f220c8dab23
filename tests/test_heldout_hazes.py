"""The held-out hazes of any photo (``heldout.uniform_hazes`` / ``nonhomogeneous_hazes``), against the scattering
model ``I = J t + A (1 - t)`` solved for t in NumPy, and the held-out sets built from them."""

import numpy as np
import pytest

from course_lib.data import heldout


@pytest.fixture(scope="module")
def photo():
    rng = np.random.default_rng(0)
    return rng.uniform(0.05, 0.6, (40, 56, 3)).astype(
        np.float32
    )  # darker than every airlight, so t is defined


def transmission_of(hazy, clean, airlight):
    """t per pixel and channel from ``I = J t + A (1 - t)``: ``t = (A - I) / (A - J)``."""
    return (airlight - hazy.astype(np.float64)) / (airlight - clean.astype(np.float64))


def test_uniform_hazes_have_the_held_out_transmissions_and_grey_airlight(photo):
    hazes = heldout.uniform_hazes(photo)
    assert [label for label, _ in hazes] == ["t0.4 A0.85", "t0.65 A0.95"]
    for (_, hazy), (t_mean, a) in zip(hazes, heldout.HOMOGENEOUS_HAZE):
        t = transmission_of(hazy, photo, a)
        np.testing.assert_allclose(t[..., 0], t[..., 2], atol=1e-4)  # one t for the three channels: grey A
        # t = exp(-beta d) with beta = -ln(t_mean) / mean(d): t_mean is t at the mean depth (t's geometric mean)
        assert abs(np.exp(np.log(t).mean()) - t_mean) < 1e-3
        assert t[0].mean() < t[-1].mean()  # the ground-plane depth grows towards the top of the frame


def test_nonhomogeneous_hazes_are_uneven_and_repeat_exactly(photo):
    first, again = heldout.nonhomogeneous_hazes(photo), heldout.nonhomogeneous_hazes(photo)
    assert [label for label, _ in first] == ["NH t0.45", "NH t0.6"]
    for (_, hazy), (_, same) in zip(first, again):
        np.testing.assert_array_equal(hazy, same)
        # the haze adds light where the photo is dark: the image is brighter everywhere, by more where t is low
        assert (hazy >= photo - 1e-6).all()
        lift = (hazy - photo).mean(axis=2)
        rows = lift.mean(axis=1)
        assert (
            lift.std() > 0.5 * rows.std()
        )  # not only the depth's row-by-row gradient: the clouds vary across
    assert [t for t, _, _ in heldout.NONHOMOGENEOUS_HAZE] == [0.45, 0.6]
    assert (first[0][1] - photo).mean() > (first[1][1] - photo).mean()  # t 0.45 is the denser haze


def test_held_out_sets_are_the_held_out_photos_under_these_hazes():
    photos = dict(heldout._photos(heldout.DEFAULT_SIDE))
    uniform, uneven = heldout.haze_homogeneous(), heldout.haze_nonhomogeneous()
    assert len(uniform) == len(uneven) == 2 * len(photos)
    for triples, make in ((uniform, heldout.uniform_hazes), (uneven, heldout.nonhomogeneous_hazes)):
        for name, hazy, clean in triples:
            photo_name = name.split(" ")[0]
            np.testing.assert_array_equal(clean, photos[photo_name])
            expected = dict(make(clean))[name[len(photo_name) + 1 :]]
            np.testing.assert_array_equal(hazy, expected)
