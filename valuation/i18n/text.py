"""Chinese and English labels in one table (the areas merged), and the language of a browser locale."""

from __future__ import annotations

from valuation.i18n.format import CURRENCIES, money_unit

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}

# key -> (zh, en). Values may hold {named} placeholders filled by t(..., **params).
TEXT: dict[str, tuple[str, str]] = {
    # app and navigation
    "app.title": ("客户价值分析", "Customer value"),
    "app.tagline": ("谁在支撑我们、谁能成长、谁在亏钱、谁在流失",
                    "Who carries us, who could grow, who costs more than they bring, who is slipping away"),
    "page.data": ("数据", "Data"),
    "page.overview": ("总览", "Overview"),
    "page.tuning": ("权重调优", "Weight tuning"),
    "page.lifecycle": ("生命周期", "Lifecycle"),
    "page.customers": ("客户明细", "Customers"),
    "page.clv": ("客户终身价值", "Customer lifetime value"),
    # sidebar
    "sidebar.language": ("语言 / Language", "Language / 语言"),
    "sidebar.dataset": ("数据集", "Dataset"),
    "sidebar.as_of": ("分析基准日", "As-of date"),
    "sidebar.as_of_help": ("只统计该日期及之前的数据；默认是最后一笔订单的日期。",
                           "Only data on or before this date counts; defaults to the last order date."),
    "sidebar.session_only": ("{name}（仅本次会话）", "{name} (this session only)"),
    "sidebar.session_warning": ("当前数据只保存在本次会话中：刷新页面，或把链接发给同事，都打不开这份数据。",
                                "This data is kept for this session only: a refresh, or a colleague opening "
                                "the link, cannot open it."),
    "sidebar.save_session": ("保存为团队数据集", "Save it for the team"),
    "sidebar.session_saved": ("“{name}”已保存为团队数据集，链接现在可以发给同事了。",
                              "“{name}” is saved for the team; the link can now be sent to colleagues."),
    "sidebar.as_of_clamped": ("链接中的基准日 {asked} 不在这个数据集的日期范围内（{first} 至 {last}），已改为 {used}。",
                              "The link's as-of date {asked} lies outside this dataset ({first} to {last}); "
                              "{used} is used instead."),
    "link.missing_session": (
        "这个链接用的数据“{name}”只在发链接的人那次会话中上传过，没有保存，所以在这里打不开（刷新页面后也一样）。"
        "请发链接的人在“数据”页把它保存为团队数据集，再重新发链接。",
        "The data this link uses, “{name}”, was uploaded for one session only and never saved, so it cannot "
        "be opened here (nor after a refresh). Ask whoever sent the link to save it for the team on the Data "
        "page, then send the link again."),
    "link.missing_db": ("这个链接用的数据集“{name}”已不存在（可能已被删除或改名）。",
                        "The dataset this link uses, “{name}”, no longer exists (it may have been deleted or "
                        "renamed)."),
    "link.show_instead": ("改为查看“{shown}”（不是链接里的数据）", "Look at “{shown}” instead (not the link's data)"),
    "link.showing_instead_note": ("显示的是“{shown}”，不是链接里的“{name}”。",
                                  "Showing “{shown}”, not the link's “{name}”."),
    "sidebar.no_orders": ("该数据集没有订单。", "This dataset has no orders."),
    # data page
    "data.current": ("当前数据集：{name}", "Current dataset: {name}"),
    "data.source": ("来源：{source}", "Source: {source}"),
    "data.tables": ("各表行数与日期范围", "Rows and date range per table"),
    "col.table": ("表", "Table"),
    "col.rows": ("行数", "Rows"),
    "col.customers": ("客户数", "Customers"),
    "col.first_date": ("最早日期", "First date"),
    "col.last_date": ("最晚日期", "Last date"),
    "col.columns_provided": ("已提供的列", "Columns provided"),
    "table.orders": ("订单", "orders"),
    "table.customers": ("客户", "customers"),
    "table.payments": ("回款", "payments"),
    "table.service": ("服务", "service"),
    "data.missing_tables": ("未提供：{tables}。相应的评分维度会标记为缺失，不会用常数代替。",
                            "Not provided: {tables}. The score dimensions that need them are "
                            "reported as missing, never faked."),
    "data.upload": ("上传文件", "Upload a file"),
    "data.upload_help": ("CSV、TSV/TXT 或 Excel (.xlsx)。支持 UTF-8、GBK/GB18030、UTF-16；"
                         "金额可带 ¥、$、€ 等币种符号（据此识别币种）、千分位、括号负数；日期可为 2024/1/5、2024年1月5日 等。",
                         "CSV, TSV/TXT or Excel (.xlsx). UTF-8, GBK/GB18030 and UTF-16 are read; "
                         "amounts may carry ¥, $, € … (which tell the currency), thousands separators or "
                         "parentheses; dates like 2024/1/5 or 2024年1月5日 work."),
    "data.table_for_file": ("{file} 是哪张表？", "Which table is {file}?"),
    "data.detected": ("编码 {encoding}，分隔符 {delimiter}", "Encoding {encoding}, delimiter {delimiter}"),
    "data.mapping": ("列映射（请确认或修改）", "Column mapping (confirm or fix)"),
    "data.mapping_none": ("（不使用）", "(not used)"),
    "data.preview": ("文件前几行", "First rows of the file"),
    "data.report": ("校验结果：读取 {rows_read} 行，载入 {rows_loaded} 行，拒绝 {rows_rejected} 行",
                    "Validation: {rows_read} rows read, {rows_loaded} loaded, {rows_rejected} rejected"),
    "data.report_detail": ("{customers} 个客户，金额合计 {amount}",
                           "{customers} customers, amounts total {amount}"),
    "data.rejects": ("被拒绝的行（行号、列、原值、原因）", "Rejected rows (line, column, value, reason)"),
    "data.rejects_download": ("下载被拒绝的行 (CSV)", "Download rejected rows (CSV)"),
    "data.no_rejects": ("所有行都已载入。", "Every row was loaded."),
    "data.use_session": ("仅在本次会话中使用", "Use in this session only"),
    "data.save_name": ("数据集名称", "Dataset name"),
    "data.save": ("保存为数据集", "Save as a dataset"),
    "data.currency": ("金额币种", "Currency of the amounts"),
    "data.currency_help": ("随数据集保存；各页的金额都以该币种显示，不做换算。默认是从文件中识别的币种（金额中的符号、"
                           "金额列的表头），没有识别到时为人民币。单独的 ¥ 按人民币识别：日元数据请在这里选择日元。",
                           "Stored with the dataset; every page shows its figures in this currency, not converted. "
                           "Defaults to the currency found in the file (signs in the amounts, money headers), the "
                           "Chinese yuan when none is found. A ¥ alone is read as yuan: for yen, choose the "
                           "Japanese yen here."),
    "data.current_currency": ("金额币种：{currency}", "Currency: {currency}"),
    "data.currency_files_differ": ("这些文件的币种不同（{found}）；一个数据集只有一种币种，请在保存前确认下面的币种。",
                                   "These files are in different currencies ({found}); a dataset has one: check "
                                   "the currency below before saving."),
    "data.saved": ("已保存数据集 “{name}”，已切换到该数据集。",
                   "Saved dataset “{name}” and switched to it."),
    "data.session_ready": ("已载入 “{name}”（仅本次会话可见），已切换到该数据集。",
                           "Loaded “{name}” for this session only and switched to it."),
    "data.no_orders_file": ("至少需要一个订单文件。其他表（客户、回款、服务）可选。",
                            "At least one orders file is needed; customers, payments and service are optional."),
    "data.delete": ("删除数据集 “{name}”", "Delete dataset “{name}”"),
    "data.deleted": ("已删除数据集 “{name}”。", "Deleted dataset “{name}”."),
    "data.cannot_delete_sample": ("示例数据集不能删除。", "The sample dataset cannot be deleted."),
    "data.failed_nothing_changed": ("导入失败，已存储的数据没有任何改变。",
                                    "The import failed; nothing stored was changed."),
    # common
    "common.download_csv": ("下载 CSV", "Download CSV"),
    "common.choose": ("请选择", "Choose"),
    "common.all": ("全部", "All"),
    # actions and reports
    "page.actions": ("行动与报告", "Actions and reports"),
    "actions_page.downloads": ("会议材料", "For the meeting"),
    "actions_page.downloads_help": ("HTML 报告可离线打开（图表可交互，中文正常显示）；Excel 含汇总表和每个层级一张表；导出会中和公式注入。",
                                    "The HTML report opens offline (interactive charts, Chinese renders); the Excel "
                                    "file has a summary sheet and one sheet per tier; exports neutralise formula injection."),
    "actions_page.report": ("下载 HTML 报告", "Download the HTML report"),
    "actions_page.excel": ("下载 Excel（按层级分表）", "Download Excel (a sheet per tier)"),
    "actions_page.csv": ("下载全部客户 CSV", "Download every customer (CSV)"),
    "actions_page.lists": ("行动清单", "Action lists"),
    "actions_page.which": ("清单", "List"),
    "actions_page.empty": ("这份清单目前是空的。", "This list is empty right now."),
    "actions_page.all_lists": ("全部行动清单合成一个 Excel", "Every action list in one Excel file"),
    "actions_page.schedule": ("定时任务可用命令行生成同样的清单：python -m valuation alerts --dataset 名称 --out 清单.xlsx",
                              "A scheduled job produces the same lists: python -m valuation alerts --dataset NAME --out lists.xlsx"),
    # presentation mode
    "page.present": ("演示模式", "Presentation"),
    "present.pyramid": ("客户价值金字塔", "The customer value pyramid"),
    "present.matrix": ("价值矩阵：谁值得保持，谁值得培养", "Value matrix: whom to keep, whom to grow"),
    "present.whale": ("利润从哪里来，又流失到哪里", "Where profit comes from, and where it leaks"),
    "present.funnel": ("客户转化：每一步有多少人走到下一步", "Conversion: how many take the next step"),
    "present.at_risk": ("本周要挽留的客户", "Customers to win back this week"),
    "present.at_risk_lead": ("{n} 位客户有流失风险，价值最高的 {k} 位客户终身价值合计 {value}。",
                             "{n} customers are at risk; the {k} most valuable carry {value} of lifetime value."),
    "present.previous": ("◀ 上一页", "◀ Back"),
    "present.next": ("下一页 ▶", "Next ▶"),
    "present.exit": ("退出演示", "Leave"),
    "present.keys_prev": ("键盘：← 或 PageUp", "Keys: ← or PageUp"),
    "present.keys_next": ("键盘：→、PageDown 或空格", "Keys: →, PageDown or Space"),
    "present.keys_exit": ("键盘：Esc；回到总览", "Key: Esc; back to the overview"),
    "present.silent_days": ("已沉默（天）", "Silent (days)"),
    "present.usual_gap": ("平时间隔（天）", "Usual gap (days)"),
    "present.counter": ("第 {n} / {total} 页", "Slide {n} of {total}"),
    "present.footer": ("数据集 {dataset} · 基准日 {as_of} · 权重：{weights} · 分层 A {a} / B {b} / C {c} · 流失风险 {at_risk} 天",
                       "Dataset {dataset} · as of {as_of} · weights: {weights} · tiers A {a} / B {b} / C {c} · at risk after {at_risk} days"),
    # saved views and links
    "view.title": ("保存的视图", "Saved views"),
    "view.saved_list": ("已保存", "Saved"),
    "view.load": ("载入", "Load"),
    "view.delete": ("删除", "Delete"),
    "view.rename_to": ("新名称", "New name"),
    "view.rename": ("重命名", "Rename"),
    "view.none": ("还没有保存的视图。", "No saved views yet."),
    "view.name": ("视图名称", "View name"),
    "view.name_hint": ("例如：季度经营会", "e.g. Quarterly review"),
    "view.save": ("保存当前视图", "Save this view"),
    "view.saved": ("已保存视图 “{name}”。", "Saved view “{name}”."),
    "view.loaded": ("已载入视图 “{name}”。", "Loaded view “{name}”."),
    "view.renamed": ("已重命名为 “{name}”。", "Renamed to “{name}”."),
    "view.deleted": ("已删除视图 “{name}”。", "Deleted view “{name}”."),
    "view.link_hint_session": ("地址栏中的链接包含当前设置，但数据只在本次会话中：同事打开时看不到这份数据，请先保存为团队数据集。",
                               "The link in the address bar holds these settings, but the data is kept for this "
                               "session only: colleagues cannot open it. Save it for the team first."),
    "view.link_hint": ("浏览器地址栏中的链接包含当前的全部设置，可直接发给同事。",
                       "The link in the address bar holds the whole view: send it to a colleague."),
    "view.link_ignored": ("链接中的这些参数无法识别，已忽略：{names}", "These link parameters could not be read and were ignored: {names}"),
    # notes on missing data
    "note.title": ("数据说明（{n} 条）", "About this data ({n} notes)"),
    "note.no_cost": ("没有成本列：毛利按收入计算（利润被高估），请上传带成本或毛利的订单以获得真实利润。",
                     "No cost column: gross profit falls back to revenue (profit is overstated); upload "
                     "orders with cost or margin for real profit."),
    "note.no_payments": ("没有回款数据：信用度维度缺失，权重已按其余维度重新分配。",
                         "No payments data: the credit dimension is missing and its weight is spread "
                         "over the others."),
    "note.no_service": ("没有服务数据：服务成本按 0 计算，投诉与满意度不参与评分。",
                        "No service data: cost to serve counts as zero; complaints and satisfaction "
                        "are not scored."),
    "note.clv_formula": ("CLV 采用公式法（近12个月净利润 × 复购率留存 × 折现），未使用购买模型：{reason}",
                         "CLV uses the formula (12-month net profit × repeat-rate retention × "
                         "discounting), not the purchase models: {reason}"),
    # overview
    "kpi.customers": ("成交客户", "Customers"),
    "kpi.customers_help": ("另有 {prospects} 个未成交的潜在客户。", "Plus {prospects} prospects without orders."),
    "kpi.revenue_12m": ("近12个月收入", "Revenue, 12 months"),
    "kpi.net_profit_12m": ("近12个月净利润", "Net profit, 12 months"),
    "kpi.net_profit_help": ("毛利 − 服务成本 − 坏账（逾期90天以上未付）。",
                            "Gross profit − cost to serve − bad debt (unpaid 90+ days past due)."),
    "kpi.tier_a_share": ("A 级客户利润占比", "Tier A's share of profit"),
    "kpi.tier_a_help": ("A 级客户贡献的净利润占全部净利润的比例。", "Tier A's net profit as a share of all net profit."),
    "kpi.value_at_risk": ("风险价值", "Value at risk"),
    "kpi.value_at_risk_help": ("{n} 个有流失风险客户的客户终身价值合计。",
                               "The lifetime value of the {n} customers on the at-risk list."),
    "overview.classes_money": (
        "**最有价值客户** {n} 个，占成交客户的 {share}，带来 {actual_share} 的实际价值（{actual}）和近12个月"
        " {revenue_share} 的收入（经验值：约 5% 的客户带来约 40% 的收入）。",
        "**Most valuable**: {n} customers, {share} of buyers, bring {actual_share} of actual value ({actual}) "
        "and {revenue_share} of the last 12 months' revenue (the rule of thumb: about 5% bring about 40%)."),
    "overview.replacement": (
        "失去一个最有价值客户，平均要发展 **{n}** 个可成长客户才能弥补其实际价值（经验值：至少 4–5 个）。"
        "{g} 个可成长客户还有 {strategic} 的战略价值可以争取。",
        "Losing one most valuable customer takes **{n}** average growable customers to make up its actual "
        "value (the rule of thumb: at least 4–5). The {g} growable customers still hold {strategic} of "
        "strategic value to win."),
    "overview.no_wallet": (
        "数据中没有钱包估计，战略价值无法以金额计算；在客户文件中加入“钱包估计”列即可。",
        "The data have no wallet estimates, so strategic value cannot be put in money; add a wallet_estimate "
        "column to the customers file."),
    "overview.whale": ("利润集中度（鲸鱼曲线）", "Profit concentration (whale curve)"),
    "overview.actions": ("按价值类别行动", "What to do, by value class"),
    "overview.class_profit": ("近12个月净利润 {profit}", "Net profit, 12 months: {profit}"),
    # tuning
    "tuning.weights": ("维度权重", "Dimension weights"),
    "tuning.preset": ("预设方案", "Preset"),
    "tuning.custom": ("自定义", "Custom"),
    "tuning.custom_dims": ("自定义维度（客户表中的数值列）", "Custom dimensions (numeric customer columns)"),
    "tuning.custom_help": ("把管理者掌握而数据中没有的判断加入评分，例如重要性评级。",
                           "Add judgement the data lacks, such as an importance rating, as its own dimension."),
    "tuning.cuts": ("分层比例（%）", "Tier cut-offs (%)"),
    "tuning.classes": ("价值类别", "Value classes"),
    "tuning.most_valuable_share": ("最有价值 %", "Most valuable %"),
    "tuning.most_valuable_share_help": (
        "实际价值（净CLV）最高、合计达到全部成交客户实际价值这一比例的最少客户（经验值：约 5% 的客户带来约 40%）。",
        "The fewest customers, highest actual value (net CLV) first, who together bring this share of all "
        "buyers' actual value (rule of thumb: about 5% bring about 40%)."),
    "tuning.growable_share": ("可成长 %", "Growable %"),
    "tuning.growable_share_help": (
        "其余盈利客户中，战略价值最高、合计达到其战略价值这一比例的最少客户。",
        "Of the other customers in profit, the fewest, highest strategic value first, who together hold this "
        "share of their strategic value."),
    "tuning.achievable_share": ("钱包可争取 %", "Wallet winnable %"),
    "tuning.achievable_share_help": (
        "主动争取时能赢得的未占钱包（钱包估计 − 近12个月收入）比例；战略价值＝这部分在 CLV 期限内的利润现值。",
        "How much of the untapped wallet (wallet estimate − last 12 months' revenue) a deliberate effort can "
        "win; strategic value is the present value of the profit on it over the CLV horizon."),
    "tuning.class_counts": ("最有价值客户 {most} 个（实际价值的 {share}）· 可成长客户 {grow} 个",
                            "Most valuable: {most} customers ({share} of actual value) · growable: {grow}"),
    "tuning.tilt": ("战略倾斜", "Strategic tilt"),
    "tuning.tilt_help": (
        "企业要进入新的行业或地区时，对这些客户在政策、产品和服务上有所倾斜：被选中的客户综合得分加上设定的分数"
        "（上限 100），层级随之变化；价值类别按金额划分，不受影响。",
        "A company entering a new industry or region favours its customers: the chosen customers get these "
        "points on their composite score (capped at 100), so their tiers move; value classes, cut on money, "
        "do not."),
    "tuning.tilt_values": ("倾斜的{attribute}", "Favour these: {attribute}"),
    "tuning.tilt_points": ("加分", "Points"),
    "tuning.tilt_points_help": ("加到综合得分上的分数；负数表示减分。",
                                "Points added to the composite score; negative points hold customers back."),
    "tuning.tilt_none": ("数据中没有行业、地区等可供倾斜的客户属性。",
                         "The data has no industry, region or similar attribute to tilt by."),
    "tuning.tilt_effect": ("倾斜客户 {n} 个：A/B 级 {with_tilt} 个，不倾斜时 {without} 个。",
                           "Favoured customers: {n}; in tiers A/B: {with_tilt}, {without} without the tilt."),
    "tuning.baseline_no_tilt": ("对比基准不含战略倾斜，因此下图也显示倾斜带来的层级变化。",
                                "The baseline has no strategic tilt, so the moves below include the tilt's."),
    "dim.tilt": ("战略倾斜", "Strategic tilt"),
    "tuning.cut_a": ("A 级：前", "A: top"),
    "tuning.cut_b": ("B 级：其后", "B: next"),
    "tuning.cut_c": ("C 级：其后", "C: next"),
    "tuning.cuts_too_big": ("A + B + C 不能超过 100%，分层未改变。", "A + B + C must not exceed 100%; tiers were not changed."),
    "tuning.baseline": ("对比基准", "Compare with"),
    "tuning.movers": ("变动最大的客户", "Customers who moved most"),
    "tuning.movers_help": ("与基准“{baseline}”相比；“主要原因”是得分变化最大的维度及其变化分数。",
                           "Against the baseline “{baseline}”; the main reason is the dimension whose points "
                           "changed most, and by how much."),
    "tuning.now": ("当前设置", "Now"),
    "tuning.sankey_left_out": ("潜在客户（{prospects} 个）和负值客户（{below} 个）不随权重变化，未画入图中。",
                               "Prospects ({prospects}) and below-zero customers ({below}) do not depend on the "
                               "weights and are left out of the chart."),
    "tuning.tier_sizes_fixed": ("各层人数由分层比例决定（A {a}、B {b}、C {c}）：权重改变的是谁在各层，而不是各层有多少人。",
                                "Tier sizes follow the cut-offs (A {a}, B {b}, C {c}): the weights change who is "
                                "in each tier, not how many."),
    "tuning.weight_total": ("权重合计 {total}，各维度按占比计入综合得分：{parts}",
                            "Weights add up to {total}; each counts by its share of the composite: {parts}"),
    "tuning.weight_zero": ("所有权重都为 0：综合得分无从计算，请至少调高一个维度。",
                           "Every weight is 0: there is no composite score; raise at least one dimension."),
    "feat.driver": ("主要原因", "Main reason"),
    "tuning.changed": ("层级变动的客户", "Customers changing tier"),
    "tuning.delta_pt": ("{pts} 个百分点", "{pts} pt"),
    "data.source_sample": ("内置示例数据（{folder}）", "bundled sample ({folder})"),
    "audit.system": ("系统", "system"),
    "data.delimiter_tab": ("制表符", "Tab"),
    "tuning.direction": ("显示", "Show"),
    "tuning.direction_up": ("升级的客户", "Moved up"),
    "tuning.direction_down": ("降级的客户", "Moved down"),
    "tuning.direction_all": ("所有变动", "Every change"),
    "tuning.no_movers": ("与基准相比没有客户变动。", "No customer moved against the baseline."),
    "tuning.explain": ("单个客户得分拆解", "One customer's score, explained"),
    "tuning.explain_who": ("选择客户（近12个月收入从高到低）", "Customer (biggest 12-month revenue first)"),
    "help.current": ("近12个月净利润的百分位。", "Percentile of net profit over 12 months."),
    "help.future": ("预测客户终身价值的百分位。", "Percentile of predicted lifetime value."),
    "help.credit": ("按时付款率、逾期天数、逾期金额。", "On-time ratio, days late, overdue amount."),
    "help.loyalty": ("合作时长、复购、存活概率、品类覆盖、钱包份额、满意度、淡季支持。",
                     "Tenure, repeat buying, P(alive), coverage, share of wallet, satisfaction, off-season support."),
    "help.growth": ("收入趋势与钱包余量。", "Revenue trend and wallet headroom."),
    "help.influence": ("在所属行业、地区收入中的占比，标杆客户，推荐客户数与重要性评级。",
                       "Share of its industry's and region's revenue, reference accounts, referrals and "
                       "the importance rating."),
    # lifecycle
    "life.thresholds": ("阶段阈值", "Stage thresholds"),
    "life.at_risk_days": ("流失风险：沉默超过（天）", "At risk: silent more than (days)"),
    "life.dormant_days": ("休眠：沉默超过（天）", "Dormant: silent more than (days)"),
    "life.churned_days": ("流失：沉默超过（天）", "Churned: silent more than (days)"),
    "life.gap_multiple": ("个人信号：超过平常间隔的倍数", "Personal signal: × usual gap"),
    "life.order_warning": ("阈值需满足：流失风险 ≤ 休眠 ≤ 流失；阶段未改变。",
                           "Thresholds must satisfy at risk ≤ dormant ≤ churned; stages were not changed."),
    "life.alerts": ("流失风险预警（{n} 位客户，按价值排序）", "At-risk alerts ({n} customers, most valuable first)"),
    "life.alerts_help": ("沉默超过 {days} 天，或沉默超过自身平常购买间隔的 {k} 倍。",
                         "Silent more than {days} days, or more than {k} × their own usual gap between orders."),
    "life.no_alerts": ("目前没有流失风险客户。", "No customer is at risk right now."),
    "life.declining": ("收入下滑的最有价值客户（{n} 位）", "Most valuable customers in decline ({n})"),
    "life.declining_help": ("近6个月收入比前6个月明显下降：扭转他们的下滑是首要的保留任务。",
                            "Revenue in the last 6 months clearly below the 6 before: reversing their "
                            "decline is the first retention task."),
    "life.no_declining": ("没有收入下滑的最有价值客户。", "No most valuable customer is in decline."),
    # customers
    "customers.search": ("搜索客户（编号或名称）", "Search customers (ID or name)"),
    "customers.search_hint": ("例如 C000123 或 华瑞", "e.g. C000123 or Huarui"),
    "customers.count": ("显示 {shown} / {total} 位客户", "Showing {shown} of {total} customers"),
    "customers.none": ("没有符合条件的客户。", "No customer matches."),
    "customers.profile": ("客户档案", "Customer profile"),
    "customers.ageing": ("逾期账龄（按层级）", "Overdue ageing by tier"),
    "customers.ageing_none": ("截至基准日没有逾期未付的发票。", "No invoice is overdue and unpaid at the as-of date."),
    "customers.ageing_help": ("截至基准日已过到期日、尚未付款的发票金额，按逾期天数分段；客户数为欠款的客户。",
                              "Invoices past their due date and unpaid at the as-of date, by how long overdue; "
                              "customers are those who owe."),
    "customers.replacement_value": (
        "失去该客户（实际价值 {actual}），平均要发展约 **{n}** 个可成长客户才能弥补（经验值：至少 4–5 个）。",
        "Losing this customer (actual value {actual}) would take about **{n}** average growable customers "
        "to make up (the rule of thumb: at least 4–5)."),
    "customers.strategic_help": (
        "未占钱包（钱包估计 − 近12个月收入）中可争取的部分在 CLV 期限内的利润现值；没有钱包估计时为“—”。",
        "The present value, over the CLV horizon, of the profit on the winnable part of the untapped wallet "
        "(wallet estimate − last 12 months' revenue); “—” without a wallet estimate."),
    "customers.replacement": ("失去该客户，需要约 **{n}** 个平均水平的{tier}客户才能弥补其利润。",
                              "Losing this customer would take about **{n}** average {tier} customers "
                              "to replace their profit."),
    "customers.loss_driver": ("亏损主因：{driver}（服务成本 {service}，低毛利少赚 {margin}，坏账 {unpaid}）。",
                              "Main loss driver: {driver} (cost to serve {service}, thin margin {margin}, "
                              "unpaid invoices {unpaid})."),
    "customers.payments_service": ("回款与服务", "Payments and service"),
    # clv
    "clv.formula": ("公式计算器", "Formula calculator"),
    "clv.streams": ("按购买类别计算：一位购车客户的终身价值（第 003 份资料）", "Purchase streams: a car buyer's lifetime value (seed 003)"),
    "clv.streams_help": ("每一行是一类重复的购买：每次的收入和利润、每几年一次、从第几年到第几年。默认是资料中的例子：每4年换一辆 ¥50万 的车"
                         "（利润率4%），旧车置换每次赚 ¥1万，保养每年 ¥2,800（利润率50%），为太太、女儿购车。可以直接修改表格。",
                         "Each row is a purchase repeated: revenue and profit each time, every how many years, from which "
                         "year to which. The default is the seed's example: a ¥500,000 car every 4 years at 4%, ¥10,000 "
                         "profit on each trade-in, ¥2,800 of upkeep a year at 50%, cars for the wife and the daughter. "
                         "Edit the table as you like."),
    "clv.stream.name": ("购买类别", "Stream"),
    "clv.car.own_car": ("本人购买新车", "Own new car"),
    "clv.car.own_trade_in": ("旧车置换", "Trade-in of the old car"),
    "clv.car.own_upkeep": ("定期保养", "Upkeep"),
    "clv.car.wife_car": ("为太太购车（A4）", "Wife's car (A4)"),
    "clv.car.wife_upkeep": ("太太车辆保养", "Wife's car upkeep"),
    "clv.car.wife_trade_in": ("太太旧车置换", "Wife's trade-in"),
    "clv.car.daughter_car": ("为女儿购车（TT）", "Daughter's car (TT)"),
    "clv.car.daughter_upkeep": ("女儿车辆保养", "Daughter's car upkeep"),
    "clv.car.daughter_trade_in": ("女儿旧车置换", "Daughter's trade-in"),
    "clv.stream.revenue": ("每次收入", "Revenue each time"),
    "clv.stream.profit": ("每次利润", "Profit each time"),
    "clv.stream.every": ("每几年", "Every (years)"),
    "clv.stream.first": ("从第几年", "From year"),
    "clv.stream.last": ("到第几年", "To year"),
    "clv.streams_years": ("客户关系年数", "Years of the relationship"),
    "clv.streams_revenue": ("总收入（不折现）", "Total revenue (undiscounted)"),
    "clv.streams_profit": ("总利润（不折现）", "Total profit (undiscounted)"),
    "clv.streams_npv": ("利润净现值", "Net present value of profit"),
    "clv.streams_seed": ("资料中的数字：总收入约 {revenue}，总利润约 {profit}。资料最后一项（女儿的 TT）的利润率和换车周期在原文中缺失，"
                         "这里假设为 5%、每3年一次。",
                         "The seed's figures: revenue about {revenue}, profit about {profit}. The margin and cycle of "
                         "the seed's last stream (the daughter's TT) are cut off in the source; 5% every three years "
                         "is assumed here."),
    "clv.formula_help": ("CLV = Σ 每期毛利 × 留存率^t ÷ (1 + 折现率)^t − 获客成本",
                         "CLV = Σ margin × retention^t ÷ (1 + discount)^t − acquisition cost"),
    "clv.margin": ("每年毛利（{money_unit}）", "Margin per year ({money_unit})"),
    "clv.retention": ("年留存率", "Yearly retention"),
    "clv.discount": ("年折现率", "Yearly discount rate"),
    "clv.horizon": ("期限（年）", "Horizon (years)"),
    "clv.acquisition": ("获客成本（{money_unit}）", "Acquisition cost ({money_unit})"),
    "clv.result": ("客户终身价值", "Lifetime value"),
    "clv.worked": ("示例：每年毛利 {margin}，留存率 {r}，折现率 {d}，{h} 年，获客成本 {ac}。第1年贡献 "
                   "{margin} × {r} ÷ (1 + {d}) = {first}；各年相加再减获客成本，得 **{value}**。",
                   "Worked example: margin {margin} a year, retention {r}, discount {d}, {h} years, "
                   "acquisition cost {ac}. Year 1 gives {margin} × {r} ÷ (1 + {d}) = {first}; adding "
                   "every year and subtracting the acquisition cost gives **{value}**."),
    "clv.model": ("模型 CLV（净值：购买模型 × 客单价模型 − 服务成本 − 坏账）按层级分布",
                  "Model CLV (net: purchase model × spend model − cost to serve − bad debt) by tier"),
    "clv.model_params": ("{model}：r={r}, α={alpha}, a={a}, b={b}；客单价（对数正态）：总体均值 {typical}，"
                         "客户间离散 τ={tau}，单次离散 s={s}；期限 {horizon} 个月；{net}。",
                         "{model}: r={r}, α={alpha}, a={a}, b={b}; spend (log-normal): population mean {typical}, "
                         "spread between customers τ={tau}, within s={s}; horizon {horizon} months; {net}."),
    "clv.selection": ("购买模型按留出期检验选择：用留出期（最近 {weeks} 周）之前的数据拟合各候选模型，预测留出期内的复购次数，"
                      "与实际对比（{customers} 位客户），误差较小者为 **{model}**。",
                      "The purchase model was chosen on a holdout: each candidate was fitted on the history before the last "
                      "{weeks} weeks and predicted the repeat purchases in them ({customers} customers); the smaller "
                      "error per customer won: "
                      "**{model}**."),
    "clv.sel.model": ("候选模型", "Candidate"),
    "clv.sel.predicted": ("预测复购次数", "Predicted repeat purchases"),
    "clv.sel.actual": ("实际复购次数", "Actual repeat purchases"),
    "clv.sel.rmse": ("每客户误差（均方根）", "Error per customer (RMSE)"),
    "clv.sel.chosen": ("采用", "Chosen"),
    "clv.sel.no_fit": ("无法拟合", "could not be fitted"),
    "evidence.title": ("用您自己的历史检验这组权重", "Evidence from your own history"),
    "evidence.top_share": ("A+B 级客户在随后12个月的利润占比", "Tiers A+B's share of the next 12 months' profit"),
    "evidence.spearman": ("综合得分与随后12个月利润的等级相关", "Rank correlation with the next 12 months' profit"),
    "evidence.delta_pt": ("{pts} 个百分点（对比{baseline}）", "{pts} pt vs {baseline}"),
    "evidence.delta_rho": ("{delta}（对比{baseline}）", "{delta} vs {baseline}"),
    "evidence.caption": ("按当前权重、只用 {scored_at} 之前的数据给客户评分分层，再与每位客户从那时到 {as_of} 实际带来的净利润对比。"
                         "每次移动滑块都会更新，无需重新查询或拟合模型。",
                         "Customers scored and tiered with these weights as of {scored_at}, using only the data up to "
                         "then, and compared with the net profit each really brought from then to {as_of}. Updates "
                         "with every slider move, without a new query or model fit."),
    "evidence.none": ("历史数据不足：检验需要分析基准日前至少12个月的订单，以及之后的订单。",
                      "Not enough history: the evidence needs orders from at least 12 months before the as-of date, "
                      "and orders after that."),
    "evidence.learned": ("从您的数据中学到的权重", "Learned from your data"),
    "evidence.learned_text": ("这组权重（{weights}）在一年前对客户的排序，与客户随后带来的利润最为一致：等级相关 {rho}"
                              "（当前权重：{now}）。只在您点击后才会采用。",
                              "These weights ({weights}) would have ranked last year's customers closest to the profit "
                              "they then brought: rank correlation {rho} (current weights: {now}). They are used only "
                              "if you click."),
    "evidence.learned_same": ("当前权重已经与学到的权重一致。", "The current weights are the learned ones."),
    "evidence.apply": ("采用这组权重", "Use these weights"),
    "cache.backtest": ("正在用 {months} 个月前的数据给客户评分，以便与随后的实际结果对比……",
                       "Scoring the customers as of {months} months ago, to compare with what happened next…"),
    "cache.evidence": ("正在用一年前的数据给客户评分，以便与随后的实际结果对比……",
                       "Scoring the customers as of a year ago, to compare with what happened next…"),
    "bt.title": ("回测：用过去的评分对照随后的实际结果", "Backtest: past scores against what happened next"),
    "bt.horizon": ("回看期（月）", "Look back (months)"),
    "bt.caption": ("按当前设置、只用 {scored_at} 之前的数据给客户评分，再与 {scored_at} 至 {as_of} 的实际净利润对比；"
                   "“近12个月净利润”是不用模型时管理者会直接采用的排序。",
                   "Customers scored with the current settings as of {scored_at}, from the data up to then only, "
                   "against the net profit they really brought from then to {as_of}. \"Last 12 months' net "
                   "profit\" is the ranking a manager would use without the model."),
    "bt.error": ("无法回测：需要分析基准日前 {horizon} 个月以前的订单历史，以及那之后的订单。请缩短回看期或选择更晚的基准日。",
                 "No backtest: it needs orders from more than {horizon} months before the as-of date, and orders "
                 "after that. Shorten the look-back or choose a later as-of date."),
    "bt.ordered": ("各层级按随后实际利润从高到低排列，分层经得起检验。",
                   "The tiers are ordered by the profit their customers really brought next."),
    "bt.not_ordered": ("注意：各层级并未按随后的实际利润排序，请检查权重。",
                       "Note: the tiers are not ordered by the profit that followed; check the weights."),
    "bt.purchases": ("预测复购 {predicted} 次，实际 {actual} 次（{error}）。",
                     "Predicted {predicted} repeat purchases, actual {actual} ({error})."),
    "bt.col.predictor": ("排序依据", "Ranked by"),
    "bt.col.spearman": ("与实际利润的等级相关", "Rank correlation with realised profit"),
    "bt.col.capture": ("前10%客户获得的利润占比", "Profit earned by the top 10%"),
    "bt.col.tier": ("当时的层级", "Tier then"),
    "bt.col.customers": ("客户数", "Customers"),
    "bt.col.revenue": ("随后收入", "Revenue since"),
    "bt.col.net_profit": ("随后净利润", "Net profit since"),
    "bt.col.profit_share": ("利润占比", "Share of profit"),
    "bt.col.per_customer": ("每客户净利润", "Net profit per customer"),
    "bt.pred.clv": ("客户终身价值（模型）", "Lifetime value (model)"),
    "bt.pred.naive": ("近12个月净利润", "Last 12 months' net profit"),
    "bt.pred.composite": ("综合得分", "Composite score"),
    "bt.pred.perfect": ("事后完美排序（上限）", "Perfect hindsight (ceiling)"),
    "clv.model.bgnbd": ("BG/NBD 购买模型", "BG/NBD purchase model"),
    "clv.model.mbgnbd": ("MBG/NBD 购买模型", "MBG/NBD purchase model"),
    "clv.net.none": ("按毛利计算（无服务成本、坏账数据）", "gross margin (no service-cost or bad-debt data)"),
    "clv.net.service": ("已扣除服务成本", "net of the cost to serve"),
    "clv.net.bad_debt": ("已扣除预期坏账", "net of expected bad debt"),
    "clv.net.service+bad_debt": ("已扣除服务成本和预期坏账", "net of the cost to serve and expected bad debt"),
    "clv.diagnostics": ("模型诊断", "Model diagnostics"),
    "clv.holdout_weeks": ("验证期（周）", "Holdout (weeks)"),
    "clv.holdout_total": ("以 {end} 为界拟合：验证期实际复购 {actual} 次，模型预测 {predicted} 次。",
                          "Fitted up to {end}: {actual} repeat purchases in the holdout against {predicted} predicted."),
    "clv.diag_too_short": ("数据太短，无法在 {end} 之前留出校准期。", "The data is too short for a calibration period before {end}."),
    "clv.diag_no_fit": ("校准期数据无法拟合模型（复购客户太少）。", "The model cannot be fitted on the calibration period (too few repeat buyers)."),
    # rejected rows
    "reject.col_line": ("行号", "line"),
    "reject.col_column": ("列", "column"),
    "reject.col_value": ("原值", "value"),
    "reject.col_reason": ("原因", "reason"),
    "reject.col_reason_code": ("原因代码", "reason_code"),
    "reject.missing_value": ("{col}：必填值为空", "{col}: required value is empty"),
    "reject.bad_amount": ("{col}：不是金额（例如 1234.50、¥1,234.50、(12.50)、1.2万）",
                          "{col}: not an amount (e.g. 1234.50, ¥1,234.50, (12.50) or 1.2万)"),
    "reject.bad_number": ("{col}：不是数字", "{col}: not a number"),
    "reject.bad_flag": ("{col}：不是“是/否”（可写 是/否、Y/N、1/0）", "{col}: not a yes/no value (write 是/否, Y/N, yes/no or 1/0)"),
    "reject.bad_date": ("{col}：无法识别的日期（例如 2024-01-05、2024/1/5、2024年1月5日）",
                        "{col}: not a recognised date (e.g. 2024-01-05, 2024/1/5, 2024年1月5日)"),
    "reject.impossible_date": ("{col}：日历上不存在的日期", "{col}: not a real calendar date"),
    "reject.date_out_of_range": ("{col}：年份不在 1900–2100 之间", "{col}: year outside 1900-2100"),
    "reject.two_digit_year": ("{col}：两位数年份有歧义，请写四位年份", "{col}: two-digit year is ambiguous; write four digits"),
    "reject.day_month_conflict": ("{col}：日/月顺序与该列其他行矛盾", "{col}: day/month order contradicts the rest of the column"),
    "reject.total_row": ("{col}：这是合计行，不是客户", "{col}: this is a totals line, not a customer"),
    "reject.wrong_field_count": ("该行的字段数与表头不一致", "the line's field count differs from the header's"),
    "reject.unbalanced_quote": ("{col}：引号未闭合，吞掉了后面的行", "{col}: an unclosed quote swallows the following lines"),
    # errors from ingest / store, by code
    "err.empty_file": ("文件 {file} 是空的：请导出包含表头和数据行的文件。",
                       "File {file} is empty: export it again with a header row and data rows."),
    "err.header_only": ("文件 {file} 只有表头，没有数据行。", "File {file} has a header but no data rows."),
    "err.not_a_table": ("文件 {file} 不是表格（CSV/TSV/Excel）：请确认导出的格式。",
                        "File {file} is not a table (CSV/TSV/Excel): check the export format."),
    "err.missing_columns": ("文件 {file} 缺少必需的列：{missing}。文件中的列有：{found}。"
                            "请修改表头，或在下方的列映射中指定。",
                            "File {file} lacks the required column(s) {missing}. Columns found: "
                            "{found}. Rename the header or choose the column in the mapping below."),
    "err.bad_mapping": ("映射中的列 {header} 不在文件 {file} 中。文件中的列有：{found}。",
                        "The mapping names column {header}, which is not in {file}. Columns found: {found}."),
    "err.unreadable_encoding": ("无法识别文件 {file} 的编码：请另存为 UTF-8 或 GBK。",
                                "The encoding of {file} could not be read: save it as UTF-8 or GBK."),
    "err.db_locked": ("数据库文件 {path} 正被另一个程序占用。请关闭该程序后重试。",
                      "The database file {path} is in use by another program. Close it and try again."),
    "err.bad_dataset_name": ("数据集名称 “{name}” 不可用：请使用 1–64 个字母、数字、空格、点、横线或下划线。",
                             "Dataset name “{name}” is not allowed: use 1–64 letters, digits, spaces, "
                             "dots, dashes or underscores."),
    "err.old_excel_format": ("文件 {file} 是旧版 Excel (.xls)：请在 Excel 中另存为 .xlsx 或 CSV。",
                             "File {file} is an old Excel file (.xls): save it as .xlsx or CSV in Excel."),
    "err.bad_sheet": ("文件 {file} 中没有指定的工作表。", "File {file} has no such sheet."),
    "err.read_failed": ("无法读取文件 {file}：{detail}", "File {file} could not be read: {detail}"),
    "err.forbidden": ("{user} 的角色（{role}）不能执行此操作；需要 {needed} 角色。请联系管理员。",
                      "{user} ({role}) may not do this; it needs the {needed} role. Ask an administrator."),
    "sidebar.future_orders": ("有 {n} 笔订单的日期在今天之后（最晚 {latest}），多半是录入错误：默认分析基准日不计它们。"
                              "请在源数据中更正日期。",
                              "{n} order(s) are dated after today (the latest {latest}), most likely typing "
                              "mistakes: the default as-of date leaves them out. Correct the dates in the source."),
    "data.read_only_db": ("数据库文件 {path} 是只读的（例如由夜间任务发布）：可以浏览和评分；上传的文件只能在本次会话中使用。",
                          "The database file {path} is read-only (published by a nightly job, say): browse and "
                          "score it; uploads can be used in this session only."),
    "sidebar.no_datasets": ("数据库中还没有任何数据集。", "The database holds no dataset yet."),
    "err.disk_full": ("保存 {path} 的磁盘已满，本次更改没有保存；之前存储的数据都没有变化。请清理空间"
                      "（或用 VALUATION_DB 把数据库移到别处）后重试。",
                      "The disk holding {path} is full, so the change was not saved; everything stored before is "
                      "as it was. Free some space (or move the database with VALUATION_DB) and try again."),
    "life.won_back_days": ("唤醒/赢回保持天数", "Woken / won back for (days)"),
    "auth.title": ("请登录", "Please sign in"),
    "auth.why": ("这个客户价值看板由团队共用：登录后才能查看，并按您的角色查看、上传或管理数据。",
                 "This customer value dashboard is shared by a team: sign in to see it, and to view, upload "
                 "or manage data as your role allows."),
    "auth.sign_in": ("登录", "Sign in"),
    "auth.sign_out": ("退出登录", "Sign out"),
    "auth.signed_in_as": ("已登录：{user} · {role}", "Signed in as {user} · {role}"),
    "auth.single_user": ("单用户模式：未配置登录，使用本应用的人都可以上传、替换和删除数据（共享部署请见 docs/security.md）。",
                         "Single-user mode: no sign-in is configured, so whoever uses this app can upload, "
                         "replace and delete data (for a shared server see docs/security.md)."),
    "audit.when": ("时间", "When"),
    "audit.who": ("用户", "Who"),
    "audit.role": ("角色", "Role"),
    "audit.action": ("操作", "Action"),
    "audit.dataset": ("数据集", "Dataset"),
    "audit.rows": ("行数", "Rows"),
    "audit.action.import": ("导入", "import"),
    "audit.action.replace": ("替换", "replace"),
    "audit.action.delete": ("删除", "delete"),
    "audit.action.attach_parquet": ("挂接 Parquet 文件夹", "attach Parquet folder"),
    "audit.action.attach_features": ("保存特征文件", "save features file"),
    "audit.action.save_view": ("保存视图", "save view"),
    "audit.action.rename_view": ("重命名视图", "rename view"),
    "audit.action.delete_view": ("删除视图", "delete view"),
    "role.viewer": ("查看者", "viewer"),
    "role.analyst": ("分析员", "analyst"),
    "role.admin": ("管理员", "admin"),
    "role.none": ("未登录", "not signed in"),
    "data.viewer_only": ("您的角色（查看者）可以查看和导出，不能上传或修改数据集。",
                         "Your role (viewer) can see and export, not upload or change datasets."),
    "data.audit": ("审计日志（谁在何时导入、替换、删除或保存了什么）", "Audit log (who imported, replaced, deleted or saved what, and when)"),
    "err.sample_protected": ("“{name}” 是内置示例数据集的名称：示例数据不能被替换或删除。请换一个名称。",
                             "“{name}” is the bundled sample's name: the sample can never be replaced or "
                             "deleted. Choose another name."),
    "err.name_taken": ("已有名为 “{existing}” 的数据集，“{name}” 与它是同一个名称（不区分大小写和全角半角）。"
                       "请换一个名称，或用完全相同的名称 “{existing}” 替换它。",
                       "A dataset named “{existing}” exists already, and “{name}” is the same name (upper/lower "
                       "case and character width do not count). Choose another name, or replace “{existing}” "
                       "under exactly that name."),
    "err.view_name_taken": ("已有名为 “{existing}” 的视图，“{name}” 与它是同一个名称（不区分大小写和全角半角）。",
                            "A view named “{existing}” exists already, and “{name}” is the same name (upper/lower "
                            "case and character width do not count)."),
    "err.unknown_table": ("未知的表：{table}。", "Unknown table: {table}."),
    "err.unknown_dataset": ("没有名为 “{name}” 的数据集。", "There is no dataset named “{name}”."),
    "err.unknown_currency": ("未知的币种 {currency}：请从 {choices} 中选择。",
                             "Unknown currency {currency}: choose one of {choices}."),
    "err.read_only": ("数据库 {path} 以只读方式打开，无法保存。", "The database {path} is open read-only; nothing can be saved."),
    "err.unexpected": ("出现了意外错误：{detail}。已存储的数据没有改变。",
                       "Something unexpected went wrong: {detail}. Nothing stored was changed."),
}


def _merge() -> None:
    """Labels live in a few tables by area; they are one table to every caller."""
    import importlib

    for name in ("domain", "charts", "explore", "meeting", "reliability", "scale", "lifecycle", "needs",
                 "notices", "downloads"):
        try:
            module = importlib.import_module(f"valuation.i18n.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"valuation.i18n.{name}":
                raise
            continue  # an area whose labels are not written yet
        TEXT.update(module.TEXT)


_merge()
# Currency names for pickers and notes: currency.USD is 美元 / US dollar (USD).
TEXT.update({f"currency.{code}": (names[3], names[2]) for code, names in CURRENCIES.items()})


def t(key: str, lang: str = "en", **params) -> str:
    """The label for ``key`` in ``lang`` with ``params`` filled in; the key itself if unknown.

    ``{money_unit}`` is the current currency's unit (元 / ¥, 美元 / $: ``format.money_unit``) unless
    given: a label such as 实际价值（净CLV，{money_unit}） names the dataset's currency wherever it is used.
    """
    pair = TEXT.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    if "{money_unit}" in text and "money_unit" not in params:
        text = text.replace("{money_unit}", money_unit(lang=lang))
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def lang_from_locale(locale: str | None) -> str:
    """``zh`` for any Chinese browser locale (zh, zh-CN, zh-TW …), else ``en``."""
    return "zh" if (locale or "").lower().startswith("zh") else "en"
