"""Chart labels in Chinese and English: titles, axes, legends, hover texts and notes (keys ``chart.*``)."""

TEXT: dict[str, tuple[str, str]] = {
    # shared
    "chart.empty": ("没有可显示的数据", "No data to show"),
    "chart.note.sampled": ("抽样显示 {shown} / {total} 个客户（固定随机种子）",
                           "sampled {shown} of {total} customers (fixed seed)"),
    "chart.note.prospects_excluded": ("未含 {count} 个尚未成交的潜在客户",
                                      "{count} prospects (no orders yet) not shown"),
    "chart.note.grid_thinned": ("网格较大：行和列每 {step} 个显示 1 个（{shown} / {total} 格）",
                                "large grid: 1 in {step} rows and columns shown ({shown} of {total} cells)"),
    "chart.axis.customers": ("客户数", "Customers"),
    "chart.axis.share": ("占比", "Share"),
    "chart.axis.month": ("月份", "Month"),
    "chart.axis.period": ("期数", "Period"),
    "chart.axis.money": ("{what}（{unit}）", "{what} ({unit})"),
    "chart.unit.yuan": ("元", "¥"),
    "chart.unit.wan": ("万元", "¥ 10k"),
    "chart.unit.W": ("周", "weeks"),
    "chart.unit.D": ("天", "days"),
    "chart.hover.customers": ("客户数：{count}", "Customers: {count}"),
    "chart.hover.revenue": ("近12个月收入：{value}", "Revenue, 12 months: {value}"),
    "chart.hover.profit": ("近12个月净利润：{value}", "Net profit, 12 months: {value}"),
    # 1. pyramid
    "chart.pyramid.title": ("客户价值金字塔", "Customer value pyramid"),
    "chart.pyramid.subtitle": ("各层级客户数，以及占有成交客户近12个月收入和净利润的比例",
                               "Customers per tier, with their share of the 12-month revenue and net "
                               "profit of all customers with orders"),
    "chart.pyramid.bar_text": ("<b>{tier}</b> · {customers} 个客户<br>收入占 {revenue} · 利润占 {profit}",
                               "<b>{tier}</b> · {customers} customers<br>{revenue} of revenue · {profit} of profit"),
    # 2. value matrix
    "chart.matrix.title": ("价值矩阵：实际价值 × 战略价值", "Value matrix: actual against strategic value"),
    "chart.matrix.subtitle": ("成交客户，对数坐标；实际价值＝净客户终身价值，战略价值＝可争取的未占钱包利润；"
                              "虚线为价值类别的分界",
                              "Customers with orders, log scales; actual value = net CLV, strategic value = the "
                              "profit still winnable from the untapped wallet; dashed lines are the class boundaries"),
    "chart.matrix.x_money": ("实际价值（净CLV）", "Actual value (net CLV)"),
    "chart.matrix.y_money": ("战略价值（可争取利润）", "Strategic value (winnable profit)"),
    "chart.matrix.y_growth": ("成长潜力得分（无钱包估计）", "Growth score (no wallet estimates)"),
    "chart.matrix.no_estimate": ("无钱包估计", "no wallet estimate"),
    "chart.matrix.edge_x": ("{count} 个实际价值低于 {low}（含亏损）：左边缘",
                            "{count} with actual value under {low} (losses too): left edge"),
    "chart.matrix.edge_y": ("{count} 个战略价值低于 {low}：下边缘",
                            "{count} with strategic value under {low}: bottom edge"),
    "chart.matrix.no_wallet_some": ("{count} 个没有钱包估计：下边缘", "{count} without a wallet estimate: bottom edge"),
    "chart.matrix.no_wallet": ("数据没有钱包估计，无法以金额计算战略价值：纵轴为成长潜力得分，"
                               "得分不低于 {cut} 即为可成长客户",
                               "No wallet estimates, so no strategic value in money: the y axis is the growth "
                               "score, and growable means a score of at least {cut}"),
    "chart.matrix.quadrant": ("<b>{label}</b> · {count}", "<b>{label}</b> · {count}"),
    # 3. whale curve
    "chart.whale.title": ("鲸鱼曲线：客户按利润从高到低排序后的累计利润。科特勒的 20/80/30：前 20% 约贡献 80%，"
                          "最低的 30% 约吃掉潜在利润（曲线峰值）的一半",
                          "Whale curve: cumulative profit, customers ranked by profit. Kotler's 20/80/30: the top "
                          "20% give about 80%, the bottom 30% cost about half of the potential profit (the peak)"),
    "chart.whale.sentence_cost": ("利润最高的 {top_pct} 客户贡献了 {top} 的利润；最低的 {bottom_pct} 客户吃掉了潜在利润（峰值）的 {bottom}",
                                  "The top {top_pct} of customers give {top} of profit; "
                                  "the bottom {bottom_pct} cost {bottom} of the potential (peak) profit"),
    "chart.whale.sentence_add": ("利润最高的 {top_pct} 客户贡献了 {top} 的利润；最低的 {bottom_pct} 客户贡献了潜在利润的 {bottom}",
                                 "The top {top_pct} of customers give {top} of profit; "
                                 "the bottom {bottom_pct} add {bottom} of the potential profit"),
    "chart.streams.title": ("各年利润现值（按购买类别）：合计 {value}", "Present value of profit per year, by stream: {value} in all"),
    "chart.streams.subtitle": ("折现并乘以仍是客户的概率", "Discounted, and weighted by the chance they are still a customer"),
    "chart.streams.value": ("利润现值", "Present value of profit"),
    "chart.streams.year": ("客户关系第几年", "Year of the relationship"),
    "chart.whale.empty": ("没有足够的利润数据绘制鲸鱼曲线", "Not enough profit data for a whale curve"),
    "chart.whale.negative_total": ("客户合计净利润为负（{total}），利润占比没有意义",
                                   "Customers lose money in total ({total}); shares of profit are not meaningful"),
    "chart.whale.x": ("客户占比（按利润从高到低）", "Share of customers, ranked by profit (best first)"),
    "chart.whale.y": ("累计利润占比", "Cumulative share of profit"),
    "chart.whale.curve": ("累计利润", "Cumulative profit"),
    "chart.whale.key_points": ("关键点", "Key points"),
    "chart.whale.total_line": ("总利润 = 100%", "Total profit = 100%"),
    "chart.whale.top_marker": ("前 {pct}：{share}", "Top {pct}: {share}"),
    "chart.whale.bottom_marker": ("最低的 {pct}：{share}", "Bottom {pct}: {share}"),
    "chart.whale.peak": ("峰值 {share}", "Peak {share}"),
    "chart.whale.hover": ("前 {customers} 的客户：累计 {profit} 的利润",
                          "Top {customers} of customers: {profit} of profit"),
    # 4. migration
    "chart.migration.title_tier": ("层级迁移", "Tier migration"),
    "chart.migration.title_stage": ("生命周期阶段迁移", "Lifecycle stage migration"),
    "chart.migration.subtitle": ("{moved} / {total} 个客户发生了变化", "{moved} of {total} customers moved"),
    "chart.migration.link": ("{before} → {after}：{count} 个客户", "{before} → {after}: {count} customers"),
    "chart.migration.node_before": ("之前 · {label}：{count} 个客户", "Before · {label}: {count} customers"),
    "chart.migration.node_after": ("之后 · {label}：{count} 个客户", "After · {label}: {count} customers"),
    # 5. contributions
    "chart.contrib.title": ("综合得分 {composite}：各维度的贡献", "Composite {composite}: what each dimension adds"),
    "chart.contrib.subtitle": ("贡献 = 权重 × 维度得分 / 权重合计，各项相加等于综合得分",
                               "Points = weight × score / total weight; they add up to the composite"),
    "chart.contrib.x": ("得分贡献", "Points"),
    "chart.contrib.hover": ("{dimension}：{points} 分", "{dimension}: {points} points"),
    # 6. funnel
    "chart.funnel.title": ("客户转化漏斗", "Customer funnel"),
    "chart.funnel.of_previous": ("上一步的 {pct}", "{pct} of previous"),
    "chart.funnel.hover": ("{step}：{count} 个客户", "{step}: {count} customers"),
    # 7. activity
    "chart.activity.title": ("客户活跃状态", "Customers by activity"),
    "chart.activity.subtitle": ("有成交客户按最近一次购买后的沉默时间分组",
                                "Customers with orders, grouped by how long they have been silent"),
    # 8. radar
    "chart.radar.title": ("{customer}：与所在层级的平均水平对比", "{customer} against their tier's average"),
    "chart.radar.tier_average": ("层级平均", "Tier average"),
    "chart.radar.hover": ("{name} · {dimension}：{score}", "{name} · {dimension}: {score}"),
    # 9. order history
    "chart.history.title": ("月度收入", "Monthly revenue"),
    "chart.history.subtitle": ("退货按负数计入当月", "Returns count as negative amounts in their month"),
    "chart.history.monthly": ("当月收入", "Revenue in the month"),
    "chart.history.rolling": ("3 个月滚动平均", "3-month rolling average"),
    "chart.history.revenue": ("收入", "Revenue"),
    "chart.history.hover": ("{month} · {series}：{value}", "{month} · {series}: {value}"),
    # 10. CLV by tier
    "chart.clv.title": ("各层级的客户终身价值 (CLV) 分布", "Customer lifetime value (CLV) by tier"),
    "chart.clv.subtitle": ("箱体为四分位数，须线为 1.5 倍四分位距内的最远值；图中不逐个绘制客户",
                           "Boxes span the quartiles, whiskers the furthest values within 1.5 × IQR; "
                           "customers are not drawn one by one"),
    "chart.clv.hover": ("{tier}（{count} 个客户）<br>上须 {upper}<br>上四分位 {q3}<br>中位数 {median}<br>"
                        "下四分位 {q1}<br>下须 {lower}<br>平均 {mean}",
                        "{tier} ({count} customers)<br>upper whisker {upper}<br>upper quartile {q3}<br>"
                        "median {median}<br>lower quartile {q1}<br>lower whisker {lower}<br>mean {mean}"),
    # 11. holdout
    "chart.holdout.title": ("留出期检验：实际与预测的重复购买", "Holdout check: actual against predicted repeat purchases"),
    "chart.holdout.subtitle": ("按校准期的重复购买次数分组，比较留出期每位客户的平均重复购买",
                               "Mean repeat purchases per customer in the holdout period, by repeat "
                               "purchases in the calibration period"),
    "chart.holdout.x": ("校准期重复购买次数", "Repeat purchases in the calibration period"),
    "chart.holdout.y": ("留出期平均重复购买次数", "Mean repeat purchases in the holdout"),
    "chart.holdout.actual": ("实际", "Actual"),
    "chart.holdout.predicted": ("模型预测", "Predicted by the model"),
    "chart.holdout.hover": ("{series} · 校准期 {frequency} 次：{value}（{count} 个客户）",
                            "{series} · {frequency} in calibration: {value} ({count} customers)"),
    # 12. P(alive)
    "chart.palive.title": ("存活概率：按购买次数与最近购买时间", "P(alive) by frequency and recency"),
    "chart.palive.subtitle": ("颜色越深，客户仍在购买的可能越大",
                              "The darker the cell, the likelier the customer is still buying"),
    "chart.palive.x": ("最近一次重复购买时的客户年龄（{unit}）", "Recency: customer age at last repeat purchase ({unit})"),
    "chart.palive.y": ("重复购买次数", "Repeat purchases (frequency)"),
    "chart.palive.hover": ("重复购买 {frequency} 次，最近购买于第 {recency} {unit}：{p}",
                           "{frequency} repeat purchases, last at {recency} {unit}: {p}"),
    # 13. formula CLV
    "chart.formula.title": ("公式法 CLV：{periods} 期合计 {clv}", "Formula CLV: {clv} over {periods} periods"),
    "chart.formula.subtitle": ("每期利润 × 留存概率 × 折现系数，逐期累加（减去获客成本）",
                               "Margin × survival × discount factor per period, added up (less acquisition cost)"),
    "chart.formula.bars": ("每期折现利润", "Discounted margin per period"),
    "chart.formula.line": ("累计 CLV", "Cumulative CLV"),
    "chart.formula.value": ("金额", "Amount"),
    "chart.formula.hover": ("第 {period} 期 · {series}：{value}", "Period {period} · {series}: {value}"),
    # 14. tier shares
    "chart.share.title": ("各层级占客户、收入和利润的比例", "Share of customers, revenue and profit by tier"),
    "chart.share.subtitle": ("有成交的客户；负值客户的利润占比为负，显示在零线以下",
                             "Customers with orders; the below-zero tier's profit share is negative and "
                             "shows under the zero line"),
    "chart.share.customers": ("客户数", "Customers"),
    "chart.share.revenue": ("近12个月收入", "Revenue, 12 months"),
    "chart.share.profit": ("近12个月净利润", "Net profit, 12 months"),
    "chart.share.hover": ("{tier} · {measure}：{share}（{value}）", "{tier} · {measure}: {share} ({value})"),
}
