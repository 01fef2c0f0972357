"""Labels for buying more of what they buy (``buymore.*``) and the needs-based segments (``needs.*``)."""

TEXT: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ actions: buy more (seed 000)
    "buymore.frequency": ("缩短复购周期：从 {own} 天缩短到同层级中位数 {peer} 天，每年约增收 {revenue}、增毛利 {profit}",
                          ("Shorten the reorder cycle from {own} to {peer} days (the tier median): about {revenue} "
                           "more revenue and {profit} more gross profit a year")),
    "buymore.frequency_revenue": ("缩短复购周期：从 {own} 天缩短到同层级中位数 {peer} 天，每年约增收 {revenue}",
                                  ("Shorten the reorder cycle from {own} to {peer} days (the tier median): about "
                                   "{revenue} more revenue a year")),
    "buymore.upsell_unit": ("推荐更高价位的{category}：其单价 {paid}，该品类买家中位单价 {band}，每单可多 {gain}",
                            ("Offer a higher price band of {category}: they pay {paid} a unit against the buyers' "
                             "median of {band}, {gain} more an order")),
    "buymore.upsell_order": ("推荐更高价位的{category}：其平均每单 {paid}，该品类买家中位 {band}，每单可多 {gain}",
                             ("Offer a higher price band of {category}: {paid} an order against the buyers' "
                              "median of {band}, {gain} more an order")),
    "buymore.thin_margin": ("每单毛利 {own}，仅为同层级中位数 {peer} 的 {pct}：建议组合销售或设定最低起订量",
                            ("Margin per order {own}, {pct} of the tier median of {peer}: bundle, or set a "
                             "minimum order")),
    "buymore.rule": (("提升购买（让现有客户购买更多的现有产品）：复购周期超过同层级其他客户中位数的 {ratio} 倍时，建议缩短到中位数，"
                      "年增收 =（按中位周期的年购买次数 − 按其周期的年购买次数）× 其平均每次购买金额，再乘其毛利率得年增毛利；"
                      "某品类的{basis}处于该品类买家价格最低的三分之一时，建议提升到买家中位价，并给出每单差额；"
                      "每单毛利低于同层级中位数的 {thin} 时，建议组合销售或设定最低起订量（需要成本数据）。购买天数少于 2 天的客户没有周期建议。"),
                     ("Buy more of what they buy: where the reorder cycle is over {ratio} × the median of the other "
                      "customers in their tier, shorten it to the median; the yearly gain is (purchases a year at the "
                      "median cycle − at theirs) × their average purchase, times their margin for the profit. Where "
                      "their {basis} in a category is in the lowest third of its buyers', offer the buyers' median "
                      "(the difference per order is shown). Where their margin per order is under {thin} of the tier "
                      "median, bundle or set a minimum order (needs cost data). Customers with fewer than 2 purchase "
                      "days get no cycle suggestion.")),
    "buymore.basis.unit": ("单价", "unit price"),
    "buymore.basis.order": ("平均每单金额", "average order value"),
    "export.col.buy_more": ("提升购买建议", "Buy-more suggestions"),
    "export.col.peer_gap_days": ("同层级复购周期（天）", "Peer reorder cycle (days)"),
    "export.col.frequency_gain_12m": ("缩短周期年增收", "Yearly revenue from a shorter cycle"),
    "export.col.frequency_profit_12m": ("缩短周期年增毛利", "Yearly gross profit from a shorter cycle"),
    "export.col.upsell_category": ("提价推荐品类", "Up-sell category"),
    "export.col.upsell_gain_per_order": ("提价每单增收", "Up-sell gain per order"),
    "export.col.upsell_gain_12m": ("提价年增收", "Up-sell gain a year"),
    "export.col.margin_per_order": ("每单毛利", "Margin per order"),
    "export.col.peer_margin_per_order": ("同层级每单毛利中位数", "Peer margin per order"),
    # ------------------------------------------------------------------ explore: needs-based segments (seed 003)
    "needs.title": ("需求分群", "Needs-based segments"),
    "needs.intro": (("按购买行为推断客户的需求（需求为基准的细分：价格敏感、服务追求、品牌忠诚……）。每条规则的阈值都取本数据集客户中的百分位，"
                     "因此适用于任何数据集。"),
                    ("Customers' needs read from how they buy (needs-based segmentation: price sensitivity, "
                     "service, brand loyalty …). Every cut-off is a percentile of this dataset's customers, so the "
                     "rules work on any dataset.")),
    "needs.percentile": ("阈值百分位", "Cut-off percentile"),
    "needs.percentile_help": ("“明显高于”指处于本数据集客户的该百分位及以上（毛利率则为相应的低位）。调高则各分群更小、更典型。",
                              ("\"Well above\" means at or above this percentile of the dataset's customers (for "
                               "the margin, at or below the matching low one). Higher: smaller, more typical segments.")),
    "needs.segment.price_sensitive": ("价格敏感型", "Price-sensitive"),
    "needs.segment.service_seeking": ("服务追求型", "Service-seeking"),
    "needs.segment.loyal": ("品牌忠诚型", "Brand-loyal"),
    "needs.segment.other": ("其他/综合型", "Other / mixed"),
    "needs.rule.price_below": ("低于品类中位{basis}的订单占其订单 {share} 以上（且过半）",
                               ("{share} or more of their orders (and most of them) priced below the category's "
                                "median {basis}")),
    "needs.rule.price_margin": ("毛利率不高于 {margin}（客户中最低的 {bottom}）",
                                "a gross margin rate at or below {margin} (the lowest {bottom} of customers)"),
    "needs.rule.or": ("，或", "; or "),
    "needs.rule.service_seeking": ("近 12 个月每单服务次数不少于 {rate}（客户中最高的 {top}），且高于中位数",
                                   ("{rate} or more service events per order in 12 months (the top {top} of "
                                    "customers), above the median")),
    "needs.rule.loyal": ("第一大品类占其消费额 {share} 以上（客户中最高的 {top}），且购买天数不少于 {days} 天（重复购买）",
                         ("their largest category is {share} or more of their spend (the top {top} of customers), "
                          "with {days} or more purchase days (repeat buying)")),
    "needs.rule.other": ("不符合以上任何一条规则", "matching none of the rules above"),
    "needs.basis.unit": ("单价", "unit price"),
    "needs.basis.order": ("每单金额", "order value"),
    "needs.precedence": (("一位客户可能同时符合几条规则：“客户数”按优先级（价格敏感型、服务追求型、品牌忠诚型）每人只计入一个分群，"
                          "“符合规则的客户数”计入全部符合者。"),
                         ("A customer may match several rules: \"Customers\" counts each once, in the first segment "
                          "they match in the order price-sensitive, service-seeking, brand-loyal; \"Matching the "
                          "rule\" counts everyone who matches it.")),
    "needs.missing.price_sensitive": ("订单既没有品类也没有成本：无法比较价格或毛利，不提供价格敏感型。",
                                      ("The orders have neither a category nor a cost: prices and margins cannot be "
                                       "compared, so there is no price-sensitive segment.")),
    "needs.missing.service_seeking": ("没有服务记录：无法计算每单服务次数，不提供服务追求型。",
                                      ("There are no service records: service events per order cannot be counted, "
                                       "so there is no service-seeking segment.")),
    "needs.missing.loyal": ("订单没有品类：无法计算品类集中度，不提供品牌忠诚型。",
                            ("The orders have no category: spend cannot be concentrated by category, so there is "
                             "no brand-loyal segment.")),
    "needs.partial.price_no_cost": ("订单没有成本：价格敏感型只按品类价格判断。",
                                    "The orders have no cost: price-sensitive is read from prices only."),
    "needs.partial.price_no_category": ("订单没有品类：价格敏感型只按毛利率判断。",
                                        "The orders have no category: price-sensitive is read from the margin only."),
    "needs.chart_title": ("各需求分群的客户数（每人计入一个分群）", "Customers per needs segment (each counted once)"),
    "needs.download_list": ("下载客户名单", "Download the customer list"),
    "explore.col.needs_segment": ("需求分群", "Needs segment"),
    "explore.col.needs_all": ("符合的全部需求", "Every need matched"),
    "explore.col.matching": ("符合规则的客户数", "Matching the rule"),
    "explore.col.below_median_share": ("低于品类中位价的订单占比", "Orders below the category median"),
    "explore.col.top_category_share": ("第一大品类占比", "Largest category's share of spend"),
    "explore.col.margin_rate": ("毛利率", "Gross margin rate"),
    "explore.col.service_per_order": ("每单服务次数", "Service events per order"),
    "scale.what.needs": ("需求分群", "needs-based segments"),
}
