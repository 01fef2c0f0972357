"""Labels of the cohort funnel and the lifecycle snapshot (page, chart and report), in Chinese and English."""

TEXT: dict[str, tuple[str, str]] = {
    # ---- the cohort funnel on the lifecycle page
    "funnel.cohort.title": ("按批次的转化漏斗", "Conversion by cohort"),
    "funnel.cohort.intro": (
        "在所选期间进入每一步的客户中，{n} 天内迈出下一步的比例：线索（客户表中的创建日期在期间内）→ 首次购买；"
        "首次购买在期间内 → 另一天再次购买；第二个购买日在期间内 → 第三个购买日。退货和负金额不算购买。",
        "Of the customers who entered each step in the period, the share who took the next step within "
        "{n} days: leads (created in the customers table within the period) → first purchase; first purchase "
        "in the period → a purchase on another day; second purchase day in the period → a third. Returns and "
        "negative amounts are not purchases."),
    "funnel.window": ("转化窗口（天）", "Window (days)"),
    "funnel.window_help": ("进入一步后，在这么多天内迈出下一步才算转化。",
                           "A customer converts by taking the next step within this many days of entering one."),
    "funnel.start": ("期间开始", "Period from"),
    "funnel.end": ("期间结束", "Period to"),
    "funnel.period_help": ("默认：截至评分日期前 {n} 天的12个月，期间内每位客户的窗口都已结束。",
                           "Default: the 12 months ending {n} days before the as-of date, so every "
                           "customer's window has ended."),
    "funnel.bad_period": ("期间开始晚于结束（或晚于评分日期 {as_of}）：请另选日期。",
                          "The period starts after it ends (or after the as-of date, {as_of}): choose "
                          "other dates."),
    "funnel.open_note": (
        "截至 {as_of} 仍在窗口内（进入该步不足 {days} 天）：各步共 {n} 人次，列为“仍在窗口内”，不计入转化率。",
        "Still open on {as_of} (entered a step less than {days} days before): {n} in all steps, "
        "listed as still open and left out of the rates."),
    "funnel.all_closed": ("截至 {as_of}，期间内每一步的 {days} 天窗口都已结束。",
                          "Every {days}-day window of the period had ended by {as_of}."),
    "funnel.no_created_at": (
        "线索这一步需要客户表中的创建日期（“创建日期”列）：本数据集没有，因此无法计算线索转化率。",
        "The lead step needs a creation date in the customers table (created_at); this dataset has "
        "none, so lead conversion cannot be measured."),
    "funnel.without_created_at": ("{n} 位成交客户没有创建日期，无法进入线索这一步。",
                                  "{n} buyers have no creation date and cannot enter the lead step."),
    "funnel.snapshot": ("客户当前所处阶段", "Where customers are today"),
    "funnel.snapshot_help": (
        "截至评分日期，按每位客户已到达的最远一步计数。这是当前快照，不是转化率：已购买的客户都算作“经过”了商机，"
        "而丢失的商机往往没有记录，所以不要用相邻两步的比值来判断转化。",
        "Customers counted by the furthest step each has reached, as of the as-of date. A snapshot, "
        "not a conversion rate: every buyer counts as having passed opportunity while lost "
        "opportunities are rarely recorded, so the ratio of two steps says nothing about conversion."),
    "funnel.step.lead": ("线索 → 首次购买", "Leads → first purchase"),
    "funnel.step.first_purchase": ("首次购买 → 重复购买", "First buyers → repeat purchase"),
    "funnel.step.repeat": ("重复购买 → 第三次购买", "Repeat buyers → third purchase day"),
    "funnel.col.step": ("步骤", "Step"),
    "funnel.col.entered": ("期间内进入", "Entered in the period"),
    "funnel.col.open": ("仍在窗口内", "Still open"),
    "funnel.col.measured": ("窗口已结束", "Window ended"),
    "funnel.col.converted": ("{n} 天内转化", "Converted within {n} days"),
    "funnel.col.conversion": ("转化率", "Conversion"),
    "funnel.needs_created_at": ("需要客户表中的创建日期", "needs a creation date in the customers table"),
    "funnel.none_entered": ("期间内无人进入这一步", "nobody entered this step in the period"),
    "funnel.none_measured": ("窗口都还未结束", "no window has ended yet"),
    "scale.what.cohort_funnel": ("按批次的转化漏斗（需要订单日期）", "the cohort funnel (it needs order dates)"),
    # ---- charts
    "chart.cohort.title": ("{n} 天内的转化（按批次）", "Conversion within {n} days, by cohort"),
    "chart.cohort.subtitle": ("{start} 至 {end} 进入各步骤的客户；窗口未结束者不计入",
                              "Customers who entered each step from {start} to {end}; open windows left out"),
    "chart.cohort.x": ("转化率", "Conversion rate"),
    "chart.cohort.text": ("{converted} / {measured}，{pct}", "{converted} of {measured}, {pct}"),
    "chart.cohort.hover": ("{step}<br>期间内进入：{entered}<br>窗口已结束：{measured}<br>{n} 天内转化：{converted}"
                           "<br>仍在窗口内：{open}",
                           "{step}<br>Entered in the period: {entered}<br>Window ended: {measured}<br>"
                           "Converted within {n} days: {converted}<br>Still open: {open}"),
    "chart.snapshot.title": ("客户当前所处阶段", "Where customers are today"),
    "chart.snapshot.buyers_only": ("数据中没有未成交的客户（只有订单），成交前的各步（目标、潜在、商机）不适用，从首次购买开始显示。",
                                   "The data holds no customer without orders (orders alone), so the steps before a "
                                   "purchase (target, prospect, opportunity) do not apply: shown from the first purchase."),
    "chart.snapshot.subtitle": ("按已到达的最远一步计数的快照，不是转化率",
                                "A snapshot by the furthest step reached, not a conversion rate"),
    "chart.snapshot.hover": ("{step}：{count} 个客户（占全部 {pct}）", "{step}: {count} customers ({pct} of all)"),
}
