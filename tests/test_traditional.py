"""Traditional conversions: one definition for what is served and what the compliance check reads."""

from __future__ import annotations

import opencc

from assist.compliance.checks import served_texts
from assist.lookup.variants import in_customer_script
from assist.text.traditional import REGIONS, in_region, region_of
from assist.types import Script

SCRIPT = Script(id="frozen.zh", scenario="account_frozen", language="zh-Hans", examples=("账户被冻结",),
                empathy="我理解您的着急，账户安全最重要，", solution_preview="我马上为您查询冻结原因并办理解冻。",
                steps=("核实身份", "查询冻结原因"))


def test_each_region_leaves_nothing_a_plain_conversion_would_change() -> None:
    plain = opencc.OpenCC("s2t")
    for region in REGIONS:
        converted = in_region(SCRIPT.reply, region)
        assert converted != SCRIPT.reply and plain.convert(converted) == converted


def test_a_customer_is_served_their_region_and_the_check_covers_every_region() -> None:
    for utterance, region in (("我的帳戶被凍結了", "s2twp"), ("我個戶口俾人凍結咗", "s2hk")):
        assert region_of(utterance) == region
        served = in_customer_script(SCRIPT, utterance)
        assert served.empathy == in_region(SCRIPT.empathy, region)
        assert served.solution_preview == in_region(SCRIPT.solution_preview, region)
    checked = [where for where, _ in served_texts(SCRIPT)]
    assert any(where.endswith("(s2twp)") or where.endswith("(s2hk)") for where in checked)
