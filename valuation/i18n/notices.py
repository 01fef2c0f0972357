"""What a result says about itself, in Chinese and English: a load's notes (``load.*``) and why CLV
fell back to the formula (``clvfit.*``).

The English texts are the sentences the command line prints (``IngestResult.warnings``,
``ClvFit.reason``); the app shows the reader's language. ``{col}`` is a canonical column name
(English: what the command line and the mapping use), ``{col_label}`` its label in the reader's
language (valuation/data/files.py ``label_note``).
"""

TEXT: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ reading the file
    "load.mixed_encoding": ("文件混用了两种编码：{utf8} 行是 UTF-8（第 {utf8_lines} 行），{gb} 行是 GB18030/GBK"
                            "（第 {gb_lines} 行）；每行已按各自的编码读取。",
                            "the file mixes encodings: {utf8} line(s) are UTF-8 (lines {utf8_lines}) and {gb} "
                            "GB18030/GBK (lines {gb_lines}); each line was read in its own encoding"),
    "load.undecodable_lines": ("{n} 行既不是 UTF-8 也不是 GB18030/GBK 编码的文字（第 {lines} 行），这些行已被拒绝。",
                               "{n} line(s) are neither UTF-8 nor GB18030/GBK text (lines {lines}); their rows "
                               "are rejected"),
    "load.header_line": ("表头在第 {line} 行：上面的 {skipped} 行（报表标题或导出说明）已跳过。",
                         "header found on line {line}; the {skipped} line(s) above it were skipped (a report "
                         "title or export note)"),
    "load.header_sheet_row": ("表头在工作表第 {row} 行：上面的 {skipped} 行（报表标题或导出说明）已跳过。",
                              "header found on sheet row {row}; the {skipped} row(s) above it were skipped (a "
                              "report title or export note)"),
    "load.duplicate_headers": ("表头重复：{details}。每个重复表头使用第一列；其余列命名为“#2”“#3”……，除非在列映射中选择，"
                               "否则不使用。",
                               "duplicate headers: {details}. The first of each is used; the others are named "
                               "'#2', '#3' … and ignored unless you map them"),
    "load.duplicate_header": ("“{header}”出现 {n} 次（第 {columns} 列）", "'{header}' appears {n} times (columns {columns})"),
    "load.blank_lines": ("跳过了 {n} 个空行（第 {lines} 行）。", "{n} empty row(s) skipped (line(s) {lines})"),
    "load.blank_sheet_rows": ("跳过了 {n} 个空行（工作表第 {lines} 行）。", "{n} empty row(s) skipped (sheet row(s) {lines})"),
    # ------------------------------------------------------------------ values
    "load.serial_dates": ("{col_label}：{n} 个值按 Excel 日期序号读取（45296 = 2024-01-05）。",
                          "{col}: {n} value(s) read as Excel serial day numbers (45296 = 2024-01-05)"),
    "load.dayfirst": ("{col_label}：按“日/月/年”读取，因为像 {example} 这样的值第一个数字大于 12。",
                      "{col}: day/month order decided as day-first because values like {example} have a first "
                      "field above 12"),
    "load.monthfirst": ("{col_label}：按“月/日/年”读取，因为像 {example} 这样的值第二个数字大于 12。",
                        "{col}: day/month order decided as month-first because values like {example} have a "
                        "second field above 12"),
    "load.ambiguous_dates": ("{col_label}：像 01/05/2024 这样的日期有歧义（两个数字都不大于 12），已按“月/日/年”"
                             "（美式 Excel）读取。如果其实是“日/月/年”，请把该列改成 2024-01-05 的格式。",
                             "{col}: dates like 01/05/2024 are ambiguous (no field above 12); read as "
                             "month/day/year (US Excel). If they are day/month/year, reformat the column as "
                             "2024-01-05"),
    "load.date_order_conflict": ("{col_label}：各行的日/月顺序不一致（{n_day} 行是日在前，{n_month} 行是月在前）；"
                                 "已按{order}读取，与之矛盾的 {n} 行被拒绝。",
                                 "{col}: values disagree on day/month order ({n_day} row(s) day-first, {n_month} "
                                 "month-first); read as {order} and the {n} contradicting row(s) rejected"),
    "load.order_dayfirst": ("“日/月/年”", "day/month/year"),
    "load.order_monthfirst": ("“月/日/年”", "month/day/year"),
    "load.scientific_ids": ("{col_label}：{n} 个值像是被 Excel 变成科学计数法的数字（例如 1.23457E+11），"
                            "不同的编号可能已合并成一个。请把该列按文本导出。",
                            "{col}: {n} value(s) look like numbers Excel turned into scientific notation (e.g. "
                            "1.23457E+11); different ids may have collapsed into one. Export the column as text"),
    "load.repeat_rows": ("{n} 行与前面某一行完全相同（第 {lines} 行），已载入；如果文件把同一份导出放了两遍，请删除它们。",
                         "{n} row(s) repeat an earlier row exactly (lines {lines}); they were loaded: if the "
                         "file holds an export twice, remove them"),
    "load.padded_ids": ("客户编号：{n} 个编号既有带首尾空格的写法，也有不带的写法（例如“{example}”）；空格已去掉，"
                        "各按一个客户计算。",
                        "customer_id: {n} id(s) are written both with and without surrounding spaces (e.g. "
                        "'{example}'); spaces are trimmed, so each is one customer"),
    # ------------------------------------------------------------------ what the columns mean for profit
    "load.cost_from_margin": ("成本按“金额 − 毛利”计算（文件有毛利列，没有成本列）。",
                              "cost computed as amount - margin (the file has a margin column and no cost column)"),
    "load.cost_and_margin": ("文件同时有成本和毛利：使用成本，忽略毛利。",
                             "the file has both cost and margin: cost is used, margin ignored"),
    "load.no_cost": ("没有成本列：毛利按收入计算（利润被高估），请上传带成本或毛利的订单以获得真实利润。",
                     "no cost column: profit falls back to revenue"),
    "load.rows_rejected": ("{total} 行中有 {n} 行被拒绝；详见被拒绝的行。",
                           "{n} of {total} row(s) rejected; see the rejects report"),
    # ------------------------------------------------------------------ why CLV used the formula
    "clvfit.few_repeat_buyers": ("复购客户只有 {n} 位（购买模型至少需要 {needed} 位）",
                                 "only {n} repeat buyers (at least {needed} needed for the models)"),
    "clvfit.no_weight": ("{model} 拟合需要权重为正的客户", "{model} fit needs customers with positive weight"),
    "clvfit.not_distinct": ("{model} 拟合至少需要两种不同的客户购买记录",
                            "{model} fit needs at least two distinct customer histories"),
    "clvfit.no_repeat": ("{model} 拟合需要复购客户：没有客户购买过两次以上，无法区分购买频率和流失",
                         "{model} fit needs repeat buyers: no customer has frequency > 0, so purchase rates and "
                         "dropout cannot be told apart"),
    "clvfit.non_finite": ("{model} 拟合失败：似然函数出现非有限值", "{model} fit failed: the likelihood became non-finite"),
    "clvfit.degenerate": ("{model} 拟合退化：参数 {names} 趋向 0 或无穷大（{values}），数据无法识别该模型{hint}",
                          "{model} fit is degenerate: {names} ran off to 0 or infinity ({values}); the data do not "
                          "identify the model{hint}"),
    "clvfit.drifting": ("{model} 拟合未收敛（{values}）：{names} 趋向 0 或无穷大，数据无法识别该模型{hint}",
                        "{model} fit did not converge ({values}): {names} drifting towards 0 or infinity, so the "
                        "data do not identify the model{hint}"),
    "clvfit.no_converge": ("{model} 拟合未收敛（{values}）：优化器停止时梯度仍不为零",
                           "{model} fit did not converge ({values}): {message}"),
    "clvfit.hint_homogeneous_spend": ("（q 和 γ 很大说明客户平均消费的差异不超过随机波动：消费水平看起来一致，"
                                      "用总体平均消费预测更好）",
                                      " (huge q and gamma mean the customers' mean spends differ no more than "
                                      "chance would make them: spend looks homogeneous, so the overall mean spend "
                                      "is the better forecast)"),
    "clvfit.gg_few": ("Gamma-Gamma 拟合至少需要两位消费不同、金额为正的复购客户；可用的客户只有 {n} 位",
                      "Gamma-Gamma fit needs at least two different repeat buyers with positive spend; found {n} "
                      "usable customer row(s)"),
    "clvfit.spend_few": ("客单价模型至少需要两位消费金额为正且不同的购买客户；只有 {n} 位",
                         "the spend model needs at least two buyers with different, positive spend; found {n}"),
    "clvfit.spend_non_finite": ("客单价模型拟合失败：似然函数出现非有限值",
                                "spend model fit failed: the likelihood became non-finite"),
}
