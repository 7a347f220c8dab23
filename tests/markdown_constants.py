"""Numbers with units that the notebooks' markdown may state: constants with their source.

Every other number with a unit (dB, %, ms, s, min, GMACs, parameters, x/×) in a notebook's markdown is a
number some run produced, and must be printed by the code that produced it (an f-string in a cell's
output), not typed into the text. ``tests/test_notebook_text.py`` enforces it.

Keys are exact pieces of markdown text, with enough words around the number to name the one place they
are meant for (a key allows a number only inside an occurrence of the key). Values say where the number
comes from: a paper's table or section, a definition, or arithmetic anyone can redo. Append, keep it short.
"""

CONSTANTS = {
    # 00
    "the published 27.44 / 24.04 / 22.10 dB": "Set5 'butterfly' bicubic PSNR (Y, shaved) at x2/x3/x4 as "
    "published with MATLAB imresize; tests/test_bicubic.py reproduces them",
    "reports 0.3 dB more than yours": "a hypothetical in a question",
    # 04
    "same 84 parameters": "a 3x3 conv 3 -> 3 with bias: 3*3*3*3 + 3 = 84 (arithmetic)",
    "the 0.1 % pixels": "He, Sun & Tang, CVPR 2009, section 'Estimating the atmospheric light': the top 0.1 "
    "percent brightest pixels of the dark channel",
    "4× bottleneck": "AECR-Net's encoder: two stride-2 convolutions, a factor 4 per side (Wu et al., CVPR 2021, "
    "its network figure; the table of notebook 04, section 2)",
    # 05-09 (issue 27, notebooks 05-09)
    "a teacher and a 16× smaller student": "CSD's student at width 0.25 has (1/4)^2 = 1/16 of the inner convs' "
    "weights (Wang et al., IJCAI 2021; notebook 06 prints 43,089,923 / 2,699,267 = 16.0)",
    "trains a teacher and a 16× smaller student": "the same width 0.25 student of CSD (notebook 06, section 2)",
    "students keep about 88 %": "Wang et al., IJCAI 2021, their x4 results: the student's gain over bicubic "
    "as a share of the teacher's (the paper's table)",
    "a 7-layer CNN of 79,416 parameters": "Guo et al., CVPR 2020 (DCE-Net); notebook 07 counts it",
    "cuts the network to 10,561 parameters": "Li, Guo & Loy, TPAMI 2021 (Zero-DCE++); notebook 07 counts it",
    "79,416 → 10,561 parameters": "the two published parameter counts above, counted again in the cell",
    "L1 + 0.1 × the transfer loss": "the course recipe's transfer-loss weight lambda = 0.1 (a setting, "
    "course_lib.losses.transfer)",
    "200 parameters, and the RCAN's 3-channel tail conv": "an InstanceNorm2d(100) with affine weights has 2 x 100 parameters "
    "(arithmetic)",
    "a difference under 0.5 dB": "the course's rule for comparisons (issue 27, item 7), not a measurement",
    "differences under 0.5 dB": "the course's rule for comparisons (issue 27, item 7)",
    "a cap of 200 GMACs": "NTIRE 2022 HDR challenge, track 1's complexity constraint (Pérez-Pellitero et al., "
    "CVPRW 2022)",
    "the long frame has 4× more signal": "exposure times 2^EV with EV 0 and +2: a ratio of 4 (definition)",
    "**stretched** up to 4×": "course_lib.data.hdr's highlight stretch factor (a setting of the data recipe)",
    "7.9× fewer": "36,864 / 4,672 in the same sentence (arithmetic)",
    "The released RFDB(50) has 94,450 parameters": "RFDN's released block.py, RFDB(50) (Liu et al., ECCVW 2020); "
    "tests/test_hdr_models.py counts it",
    "makes the count 0.1 % approximate": "the tolerance of tests/test_hdr_models.py for the scaled MAC count",
    "has 121,987 parameters at width 1.0 and 8,035 at width 0.25": "the exercise's data: the count that "
    "course_lib.metrics.count_params gives for edsr('small', 2) at width 1 (checked by hand: 121987)",
    # real photos (04, 07, 08)
    "the top 2 % of spatial frequencies": "course_lib.no_reference.high_frequency_energy's band 0.98 (a "
    "definition of the measure)",
    "(1.5x or more)": "the limit the tests hold dehazers to on real haze (tests/test_real_photos.py; a setting)",
    "(the course's tests allow 1.5x more on real haze)": "the limit on the finest details' gain over the middle "
    "frequencies' gain (tests/test_real_photos.py; a setting)",
    "past the 1.5x that the course's tests allow": "the same limit (tests/test_real_photos.py)",
}
