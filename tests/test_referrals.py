"""The one definition of a referral's outcome (analysis.referrals)."""

import pandas as pd

from analysis.referrals import decided_referrals, is_not_accepted


def test_decided_referrals_drop_withdrawn_and_blank_and_count_silence_as_not_accepted():
    refs = pd.DataFrame(
        {"response": ["Accepted", "Declined", "No response", "Withdrawn", None, " Accepted "]}
    )
    out = decided_referrals(refs)
    assert list(out["response"].str.strip()) == ["Accepted", "Declined", "No response", "Accepted"]
    assert list(out["accepted"]) == [1, 0, 0, 1]
    assert list(is_not_accepted(refs["response"])) == [False, True, True, False, False, False]
