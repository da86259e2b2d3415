"""One definition of a share: fractions 0-1 in the code, per cent only when written."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.document.markdown import NotAFraction, pct
from analysis.shares import per_cent


def test_per_cent_is_the_per_cent_of_the_counts():
    """100 * (a / b) can be an ulp off 100 * a / b (0.575 * 100 = 57.49999999999999, which
    prints 57 where 57.5 prints 58); per_cent gives the per cent of the counts, so a published
    per cent and its rounding in text do not depend on when the share was scaled."""
    assert 0.575 * 100 != 57.5 and per_cent(23 / 40) == 57.5
    for b in range(1, 401):
        for a in range(b + 1):
            exact = 100 * a / b
            got = per_cent(a / b)
            assert f"{got:.1f}" == f"{exact:.1f}" and round(got, 1) == round(exact, 1), (a, b)
            assert f"{got:.6g}" == f"{exact:.6g}", (a, b)


def test_per_cent_of_series_and_missing_values():
    s = pd.Series([0.5, np.nan, 1 / 3])
    out = per_cent(s)
    assert out.iloc[0] == 50.0 and math.isnan(out.iloc[1])
    assert out.iloc[2] == pytest.approx(100 / 3)
    assert math.isnan(per_cent(float("nan")))


def test_a_per_cent_value_reaching_pct_fails():
    """The bug this guards against: a share already in per cent formatted again. pct() used to
    guess ("values above 1 are taken as already in per cent"), so 1.5 meant 1.5% and 0.9 meant
    90%; now a value outside [-1, 1] is refused."""
    assert pct(per_cent(0.015) / 100, 1) == "1.5%"
    with pytest.raises(NotAFraction):
        pct(per_cent(0.015))
    with pytest.raises(NotAFraction):
        pct(np.float64(67.3))
