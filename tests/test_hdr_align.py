"""Ward's median threshold bitmap alignment (course_lib.layers.align): against a NumPy version written from
Ward (2003) and against the shifts the brackets were moved by."""

import numpy as np
import pytest

from course_lib.data import hdr, heldout


def ward_shift_np(frame, reference, max_shift):
    """Ward 2003 in NumPy: the (dy, dx) moving ``frame`` onto ``reference`` with the fewest differing trusted
    bits over the interior; ties go to the smaller shift."""

    def bitmaps(x):
        grey = x[..., :3].mean(-1)
        median = np.sort(grey.ravel())[(grey.size - 1) // 2]  # the lower median
        return grey > median, np.abs(grey - median) > 4 / 255

    bits, trusted = bitmaps(frame)
    ref_bits, ref_trusted = bitmaps(reference)
    m, (h, w) = max_shift, bits.shape
    order = sorted(
        ((dy, dx) for dy in range(-m, m + 1) for dx in range(-m, m + 1)),
        key=lambda s: (max(abs(s[0]), abs(s[1])), s),
    )
    errors = []
    for dy, dx in order:
        moved = hdr.shift(np.stack([bits, trusted], -1), dy, dx)
        differ = (moved[..., 0] ^ ref_bits) & moved[..., 1] & ref_trusted
        errors.append(differ[m : h - m, m : w - m].sum())
    return order[int(np.argmin(errors))]


def nchw(*images):
    import mindspore as ms

    return ms.Tensor(np.stack([a.transpose(2, 0, 1) for a in images]).astype(np.float32))


def chosen_shift(out, frame, max_shift):
    """The shift the layer applied: the (dy, dx) whose moved ``frame`` equals ``out`` exactly."""
    span = range(-max_shift, max_shift + 1)
    found = [(dy, dx) for dy in span for dx in span if np.array_equal(hdr.shift(frame, dy, dx), out)]
    assert found, "the output is no shift of the frame"
    return found[0]


def clean_frames():
    photo = heldout.hdr_brackets()[0][2]  # coffee's HDR target
    return [hdr.expose(photo, ev) for ev in hdr.EVS]


@pytest.mark.parametrize("dy, dx", [(2, -1), (-2, -2), (0, 1), (1, 2)])
def test_it_undoes_the_shift_a_frame_was_moved_by(dy, dx):
    from course_lib.layers.align import GlobalShiftAlign

    short, medium, long_ = clean_frames()
    for frame in (short, long_):  # a quarter and four times the medium exposure
        moved = hdr.shift(frame, dy, dx)
        out = GlobalShiftAlign(3)(nchw(moved), nchw(medium)).asnumpy()[0].transpose(1, 2, 0)
        assert chosen_shift(out, moved, 3) == (-dy, -dx)
        np.testing.assert_array_equal(out[3:-3, 3:-3], frame[3:-3, 3:-3])  # all but the repeated edge


def test_it_chooses_the_shift_of_ward_s_method_on_noisy_brackets():
    from course_lib.layers.align import GlobalShiftAlign

    align = GlobalShiftAlign(3)
    for name, stack, _ in heldout.hdr_brackets():
        short, medium, long_ = hdr.frames_of(stack)
        for frame in (short, long_):
            out = align(nchw(frame), nchw(medium)).asnumpy()[0].transpose(1, 2, 0)
            assert chosen_shift(out, frame, 3) == ward_shift_np(frame, medium, 3), name


def test_each_image_of_a_batch_gets_its_own_shift():
    from course_lib.layers.align import GlobalShiftAlign

    short, medium, _ = clean_frames()
    a, b = hdr.shift(short, 1, -2), hdr.shift(short, -1, 0)
    out = GlobalShiftAlign(2)(nchw(a, b), nchw(medium, medium)).asnumpy().transpose(0, 2, 3, 1)
    assert chosen_shift(out[0], a, 2) == (-1, 2) and chosen_shift(out[1], b, 2) == (1, 0)


def test_a_static_bracket_is_left_as_it_is():
    from course_lib.layers.align import GlobalShiftAlign

    short, medium, _ = clean_frames()
    out = GlobalShiftAlign(3)(nchw(short), nchw(medium)).asnumpy()[0].transpose(1, 2, 0)
    np.testing.assert_array_equal(out, short)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_a_shift_that_is_no_whole_number_of_pixels_is_refused(bad):
    from course_lib.layers.align import GlobalShiftAlign
    from course_lib.models.hdr import EfficientHDR

    with pytest.raises(ValueError, match="max_shift must be a whole number"):
        GlobalShiftAlign(bad)
    if bad != 0:  # 0 is EfficientHDR's "no alignment"
        with pytest.raises(ValueError, match="max_shift must be a whole number"):
            EfficientHDR("course", merge_skip=True, align_max_shift=bad)


def test_the_aligned_merge_start_gives_a_moved_bracket_the_static_bracket_s_answer():
    """Untrained, EfficientHDR(merge_skip=True) is the classical merge: after alignment a moved bracket merges
    as the static one (away from the edge), where without alignment it does not."""
    from course_lib.models.hdr import EfficientHDR
    from course_lib.models.hdr_bracket import BracketInput

    short, medium, long_ = clean_frames()
    static = np.concatenate([short, medium, long_], -1)
    moved = np.concatenate([hdr.shift(short, 2, -1), medium, hdr.shift(long_, -2, -2)], -1)
    aligned = BracketInput(EfficientHDR("course", merge_skip=True, align_max_shift=3))
    plain = BracketInput(EfficientHDR("course", merge_skip=True))
    for net in (aligned, plain):
        net.set_train(False)

    def run(net, stack):
        return net(nchw(stack)).asnumpy()[0, :, 3:-3, 3:-3]

    np.testing.assert_allclose(run(aligned, moved), run(plain, static), atol=1e-6)
    assert np.abs(run(plain, moved) - run(plain, static)).max() > 0.05


def test_it_trains_in_graph_mode():
    import mindspore as ms

    from course_lib.losses.hdr import hdr_l1_loss_fn
    from course_lib.models.hdr import EfficientHDR
    from course_lib.models.hdr_bracket import BracketInput
    from course_lib.train import fit

    rng = np.random.default_rng(0)
    frames = rng.uniform(0, 1, (2, 9, 32, 32)).astype(np.float32)
    target = rng.uniform(0, 1, (2, 3, 32, 32)).astype(np.float32)
    net = BracketInput(EfficientHDR("course", merge_skip=True, align_max_shift=2))
    try:
        history = fit(net, hdr_l1_loss_fn(), [(frames, target)] * 2, steps=2, lr=1e-4, batch_size=2, progress=False)
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    assert np.isfinite(history.loss).all()


def test_count_macs_counts_the_alignment_by_its_formula():
    """Each alignment call: two convolutions trying K = (2m+1)^2 shifts with (2m+1)^2 taps on the 1-channel
    bitmaps (the chosen shift is applied by a gather: no multiply-adds)."""
    from course_lib import metrics
    from course_lib.models.hdr import EfficientHDR

    h, w, m = 32, 48, 3
    taps = (2 * m + 1) ** 2
    aligned = metrics.count_macs(EfficientHDR("course", merge_skip=True, align_max_shift=m), (1, 18, h, w))
    plain = metrics.count_macs(EfficientHDR("course", merge_skip=True), (1, 18, h, w))
    assert aligned - plain == 2 * h * w * taps * 2 * taps  # two frames moved: short and long


@pytest.mark.parametrize("zoom, stride", [(2, 2), (3, 3)])
def test_large_frames_are_searched_on_a_grid_and_still_aligned_to_the_pixel(zoom, stride):
    """Above 512 x 512 pixels the bits are compared every s-th row and column (bounded memory); the shifts
    keep their full-resolution precision."""
    from PIL import Image

    from course_lib.data.images import heldout_images
    from course_lib.layers.align import GlobalShiftAlign, search_stride

    photo = heldout_images()[0]  # coffee, 400 x 600, enlarged to 800 x 1200 and 1200 x 1800
    big = Image.fromarray((photo * 255).round().astype(np.uint8)).resize(
        (photo.shape[1] * zoom, photo.shape[0] * zoom), Image.BICUBIC
    )
    target = hdr.photo_to_hdr(np.asarray(big, np.float32) / 255)
    assert search_stride(*target.shape[:2]) == stride
    short, medium = hdr.expose(target, -2.0), hdr.expose(target, 0.0)
    moved = hdr.shift(short, -1, 2)
    out = GlobalShiftAlign(3)(nchw(moved), nchw(medium)).asnumpy()[0].transpose(1, 2, 0)
    np.testing.assert_array_equal(out[3:-3, 3:-3], short[3:-3, 3:-3])
