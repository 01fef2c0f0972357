"""Labels for refused files and rejected values added with the reliability work (``err.*``, ``reject.*``)."""

TEXT: dict[str, tuple[str, str]] = {
    "customers.table_limited": ("表中显示得分最高的 {rows} 位（共 {total} 位）；用搜索或筛选缩小范围，或下载 CSV 查看全部。",
                                "Showing the {rows} best-scored of {total} customers; search or filter to narrow "
                                "them, or download the CSV for all."),
    "customers.profile_limited": ("可选的是当前筛选中得分最高的 {n} 位客户；其他客户请先按编号或名称搜索。",
                                  "The list offers the {n} best-scored customers of the filter; search by id or "
                                  "name to open any other."),
    "cache.preparing": ("正在为 {name} 计算客户特征并拟合 CLV 模型（每个数据集和截止日期只算一次）…",
                        "Computing customer features and fitting the CLV model for {name} "
                        "(once per dataset and as-of date)…"),
    "data.sheet": ("{file} 的工作表", "Sheet of {file}"),
    "err.too_large": ("文件 {file} 有 {size_mb} MB，超过 {limit_mb} MB 的上限，未载入。请拆分文件（例如按年份）后再上传。",
                      "File {file} is {size_mb} MB, over the {limit_mb} MB limit; it was not loaded. "
                      "Split it (for example by year) and upload the parts."),
    "err.no_rows_loaded": ("文件 {file} 的 {rows} 行都无法载入；第一个问题在第 {line} 行（列 {column}）：{reason}。"
                           "没有保存任何内容，上方的拒绝行报告列出了全部问题。",
                           "None of the {rows} row(s) of {file} could be loaded; the first problem is on "
                           "line {line} (column {column}): {reason}. Nothing was saved; the rejects report "
                           "above lists every problem."),
    "reject.value_too_long": ("{col}：内容超过 32,767 个字符（Excel 单元格上限），可能是引号未闭合把多行并成了一个值",
                              "{col}: value longer than 32,767 characters (Excel's cell limit)"),
    "reject.bad_encoding": ("{col}：既不是 UTF-8 也不是 GB18030/GBK 编码，文字无法识别",
                            "{col}: text in neither UTF-8 nor GB18030/GBK"),
    # ERP exports: units in headers, totals lines, Big5 (valuation/data: validate.py, files.py)
    "note.unit_scaled": ("列“{header}”的单位是{unit}：{col_label}的数值已乘以 {factor}（1.5 载入为 {example}）。"
                         "如果该列其实是元，请修改表头后重新导入。",
                         "Column '{header}' is in {unit}: {col} values were multiplied by {factor} "
                         "(1.5 loads as {example}). If the column is in plain units after all, rename "
                         "the header and import again."),
    # the currency of a file's money (valuation/data/currency.py)
    "note.currency_found": ("根据金额中的符号或金额列的表头，金额的币种识别为{currency}：保存后各页的金额都以该币种显示，"
                            "不做换算。如果不对，请在保存前选择币种。",
                            "Money in this file is in {currency}, going by the signs in its amounts or its money "
                            "headers: once saved, every figure is shown in that currency, not converted. If "
                            "that is wrong, choose the currency before saving."),
    "note.currency_mixed": ("文件中的金额混用了不同币种（{found}），已按出现最多的{currency}读取，金额没有换算。"
                            "请核对文件，或在保存前选择正确的币种。",
                            "Money in this file is written in more than one currency ({found}); it is read "
                            "as {currency}, the most frequent, and no amount was converted. Check the file, "
                            "or choose the right currency before saving."),
    "note.currency_count": ("{currency} {n} 处", "{currency}: {n}"),
    "note.totals_rows": ("{n} 行是合计/小计行（第 {lines} 行），已跳过，没有作为客户载入；它们列在被拒绝的行中。",
                         "{n} line(s) are totals or subtotals (lines {lines}); they were left out, not "
                         "loaded as customers, and are listed with the rejected rows."),
    "note.encoding_maybe_big5": ("文件 {file} 中的中文太少，无法确定是简体（GBK）还是繁体（Big5）编码，已按 GBK 读取。"
                                 "请核对预览中的名称；如果显示为乱码，请在 Excel 中另存为“CSV UTF-8”后重新上传。",
                                 "{file} holds too little Chinese text to tell simplified (GBK) from "
                                 "traditional (Big5) encoding; it was read as GBK. Check the names in the "
                                 "preview: if they look garbled, save the file from Excel as 'CSV UTF-8' "
                                 "and upload it again."),
    "note.encoding_maybe_gbk": ("文件 {file} 中的中文太少，无法确定是简体（GBK）还是繁体（Big5）编码，已按 Big5 读取。"
                                "请核对预览中的名称；如果显示为乱码，请在 Excel 中另存为“CSV UTF-8”后重新上传。",
                                "{file} holds too little Chinese text to tell simplified (GBK) from "
                                "traditional (Big5) encoding; it was read as Big5. Check the names in the "
                                "preview: if they look garbled, save the file from Excel as 'CSV UTF-8' "
                                "and upload it again."),
    "note.encoding_not_big5": ("文件 {file} 看起来是繁体（Big5）编码，但其中有些字节不是 Big5，已按 GBK 读取，名称可能是乱码。"
                               "请在 Excel 中另存为“CSV UTF-8”后重新上传。",
                               "{file} looks like traditional Chinese (Big5), but some of its bytes are not "
                               "Big5; it was read as GBK and its names may be garbled. Save the file from "
                               "Excel as 'CSV UTF-8' and upload it again."),
}
