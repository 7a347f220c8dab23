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
}
