"""Labels of the datasets that are not imports (``scale.*``): features files and Parquet read in place,
and the messages of their errors (``err.*``, raised by valuation/sources.py)."""

TEXT: dict[str, tuple[str, str]] = {
    # the upload: a Parquet file
    "scale.upload_help": ("也可以上传 Parquet 文件：特征文件（python -m valuation features … 生成）直接作为数据集；"
                          "其他 Parquet 表按列名映射、逐行校验，与 CSV 相同。",
                          "A Parquet file works too: a features file (from python -m valuation features …) "
                          "becomes a dataset as it is; any other Parquet table is mapped and validated "
                          "like a CSV file."),
    "scale.parquet_detected": ("Parquet 表，{columns} 列：按类型读取，无需识别编码和分隔符。",
                               "Parquet table, {columns} columns: read by type, no encoding or "
                               "delimiter to detect."),
    "scale.features_file": ("特征文件 {file}", "Features file {file}"),
    "scale.features_detail": ("计算引擎 {engine}，数据来源 {source}，基准日 {as_of}：共 {customers} 个客户，"
                              "其中 {buyers} 个有订单。",
                              "Computed with {engine} from {source}, as of {as_of}: {customers} customers, "
                              "{buyers} of them with orders."),
    "scale.features_tables": ("计算时使用的数据：{tables}。", "Computed from: {tables}."),
    "scale.features_fixed": ("特征只对应一个基准日：该数据集只能按 {as_of} 评分。需要逐笔订单的内容（客户的订单历史、"
                             "CLV 留出期检验、按品类/渠道/时间的切片、交叉销售建议、客户价值动态）没有数据可显示。",
                             "The features hold one as-of date: the dataset is scored as of {as_of} only. "
                             "What needs individual orders (a customer's order history, the CLV holdout "
                             "check, slices by category, channel or time, cross-sell suggestions, value "
                             "over time) has nothing to show."),
    # attach a Parquet folder
    "scale.attach_title": ("挂载 Parquet 文件夹（原地读取）", "Attach a Parquet folder (read in place)"),
    "scale.attach_help": ("文件夹中需有 orders/（必需，可含 year=2024/ 等子文件夹）或 orders.parquet，"
                          "可另有 customers、payments、service；列名使用标准列名（customer_id、order_date、"
                          "amount …）。不复制数据：每次查询都直接读取文件。支持本地文件夹，以及 s3://、gs://、"
                          "https:// 地址（需要 DuckDB 的 httpfs 扩展和访问凭据）。数据集对所有人可见。",
                          "A folder with orders/ (required; any sub-folders such as year=2024/) or "
                          "orders.parquet, and optionally customers, payments and service, using the "
                          "canonical column names (customer_id, order_date, amount …). Nothing is copied: "
                          "every query reads the files. Local folders work, and s3://, gs:// or https:// "
                          "addresses (with DuckDB's httpfs extension and credentials). The dataset is "
                          "saved for everyone."),
    "scale.attach_disabled": ("管理员尚未开放从网页挂载文件夹：服务器以自己的权限读取这里填写的路径，"
                              "因此需在启动前用环境变量 {env} 列出允许的文件夹（以 ; 分隔，例如 "
                              "/data/lake;s3://bucket/exports）。命令行 python -m valuation attach 不受此限制。",
                              "Attaching folders from the dashboard is not enabled: the server reads the path "
                              "typed here with its own files and credentials, so an administrator lists the "
                              "allowed folders in {env} before starting the app (separated by ;, e.g. "
                              "/data/lake;s3://bucket/exports). The command line, python -m valuation attach, "
                              "is not limited."),
    "err.bad_view_name": ("视图名称需为 1 到 80 个可打印字符，请换一个名称。",
                          "A view name needs 1 to 80 printable characters; choose another name."),
    "err.unknown_view": ("没有名为 “{name}” 的已保存视图（可能已被他人删除）。",
                         "There is no saved view named “{name}” (someone may have deleted it)."),
    "err.view_exists": ("已有名为 “{name}” 的视图，请换一个名称或先删除它。",
                        "A view named “{name}” exists already; choose another name or delete it first."),
    "scale.attach_roots": ("允许挂载的位置：{roots}", "Folders that may be attached: {roots}"),
    "err.attach_outside_roots": ("{path} 不在允许挂载的位置之内（{roots}）。请把数据放到其中一个文件夹下，"
                                 "或请管理员在 VALUATION_ATTACH_ROOTS 中加入该位置。",
                                 "{path} is outside the folders that may be attached ({roots}). Put the data "
                                 "under one of them, or ask the administrator to add its location to "
                                 "VALUATION_ATTACH_ROOTS."),
    "scale.attach_path": ("文件夹路径或地址", "Folder path or address"),
    "scale.attach_name": ("数据集名称（留空则用文件夹名）", "Dataset name (empty: the folder's name)"),
    "scale.attach_button": ("挂载并切换到该数据集", "Attach and switch to it"),
    "scale.attach_no_path": ("请先填写文件夹路径。", "Enter the folder's path first."),
    "scale.attach_failed": ("挂载失败，已存储的数据没有任何改变。", "Nothing was attached; nothing stored was changed."),
    "scale.attached": ("已挂载 “{name}”：原地读取 {path} 中的 {orders} 笔订单，已切换到该数据集。",
                       "Attached “{name}”: {orders} orders read in place from {path}; switched to it."),
    # the current dataset
    "scale.current_features": ("该数据集是在其他引擎上算好的特征（{engine}，来源 {source}，基准日 {as_of}），"
                               "没有逐笔订单：下表各表为空，只能按该基准日评分。",
                               "This dataset holds features computed with {engine} from {source}, as of "
                               "{as_of}. It has no individual orders: the tables below are empty, and it is "
                               "scored as of that date only."),
    "scale.current_parquet": ("原地读取 {path} 下的 Parquet 文件，未复制数据。文件变化后请重新挂载该文件夹。",
                              "Read in place from the Parquet files under {path}; nothing was copied. "
                              "After the files change, attach the folder again."),
    # pages that need orders, on a features dataset
    "scale.no_orders_here": ("“{name}” 是在其他引擎上算好的特征（基准日 {as_of}），没有逐笔订单，因此无法显示{what}。"
                             "如需查看，请导入或挂载订单数据。",
                             "“{name}” holds features computed elsewhere (as of {as_of}) and no individual "
                             "orders, so {what} cannot be shown. Import or attach the order data to see it."),
    "scale.what.history": ("客户的订单历史", "a customer's order history"),
    "scale.what.holdout": ("购买模型的留出期检验", "the holdout check of the purchase model"),
    "scale.what.evidence": ("用一年前的评分检验权重", "checking the weights against a scoring of a year ago"),
    "scale.what.order_slices": ("按品类、订单渠道或时间的切片以及收入增长",
                                "slices by category, order channel or time, or revenue growth"),
    "scale.what.growth": ("收入增长最快的客户", "the fastest-growing customers"),
    "scale.what.dynamics": ("客户价值动态（需要在多个日期对订单评分）",
                            "value over time (it scores the orders at several dates)"),
    "scale.what.cross_sell": ("交叉销售建议", "cross-sell suggestions"),
    "err.bad_parquet": ("文件 {file} 是无法读取的 Parquet 文件（{detail}）。请重新导出，或导出为 CSV。",
                        "{file} is a Parquet file that could not be read ({detail}). Write it again, or "
                        "export the table as CSV."),
    # errors of valuation/sources.py (codes of StoreError) that reach the dashboard
    "err.bad_path": ("路径不可用：不能包含通配符（* ? [ ] 或花括号）或 NUL 字符。请重命名文件夹，或指向它的上级文件夹。",
                     "The path cannot be used: it may not contain wildcard characters (* ? [ ] or "
                     "braces) or a NUL character. Rename the folder or point at its parent."),
    "err.parquet_missing": ("{path} 不是文件夹：Parquet 数据集是一个文件夹，其中有 orders/ 子文件夹（或 orders.parquet），"
                            "可另有 customers、payments、service。",
                            "{path} is not a folder: a Parquet dataset is a folder with an orders/ "
                            "sub-folder (or orders.parquet) and optionally customers, payments and service."),
    "err.parquet_no_orders": ("{path} 中没有订单：请把订单 Parquet 文件放在 {path}/orders/（可有子文件夹，如 year=2024/）"
                              "或 {path}/orders.parquet。",
                              "{path} has no orders: put the order Parquet files in {path}/orders/ (any "
                              "sub-folders, e.g. year=2024/) or in {path}/orders.parquet."),
    "err.parquet_missing_columns": ("{path} 中的 {table} 数据缺少必需的列 {columns}。请把 Parquet 列名改为标准列名"
                                    "（见 docs/data-format.md）。",
                                    "The {table} data in {path} lacks the required column(s) {columns}. "
                                    "Rename the Parquet columns to the canonical names (docs/data-format.md)."),
    "err.parquet_unreadable": ("无法读取 {path} 下的 Parquet 文件，或其列类型与标准类型不符：{detail}",
                               "The Parquet files under {path} could not be read or do not fit the "
                               "canonical column types: {detail}"),
    "err.features_missing": ("特征文件 {path} 不存在。", "The features file {path} does not exist."),
    "err.features_unreadable": ("{path} 不是可读取的 Parquet 文件。", "{path} is not a readable Parquet file."),
    "err.not_features": ("{path} 不是特征文件：缺少本系统写入的元数据。请用 python -m valuation features … "
                         "--out 文件.parquet 生成。",
                         "{path} is not a features file: it lacks the valuation metadata. Write it with: "
                         "python -m valuation features … --out FILE.parquet"),
    "err.features_as_of": ("数据集 “{name}” 的特征是按 {as_of} 计算的，不能换算到其他日期。请用 "
                           "python -m valuation features … --as-of 日期 重新计算。",
                           "Dataset “{name}” holds features computed as of {as_of}; they cannot be "
                           "recomputed for another date. Compute them again with python -m valuation "
                           "features … --as-of DATE."),
    "err.db_unreadable": ("无法打开数据库文件 {path}：{detail}。如果它不是 DuckDB 文件，请把它移走，应用会新建一个。",
                          "The database file {path} could not be opened: {detail}. If it is not a DuckDB "
                          "file, move it away and the app builds a new one."),
    "err.no_orders": ("数据集需要一张订单表。", "A dataset needs an orders table."),
    # bounded work per upload (valuation/data/limits.py): files refused while they are read
    "err.too_many_rows": ("文件 {file} 超过 {limit} 行（单个文件的上限），未载入任何内容。请把它拆分为每个不超过 {limit} 行的"
                          "文件（例如每年一个），一起上传：它们会合并为一个数据集。管理员可以调高上限（{env}）。",
                          "{file} has more than {limit} rows, the limit for one file; nothing was loaded. "
                          "Split it into files of at most {limit} rows (for example one per year) and "
                          "upload them together: they are stacked into one dataset. An administrator can "
                          "raise the limit ({env})."),
    "err.sheet_too_many_rows": ("文件 {file} 的工作表“{sheet}”超过 {limit} 行（单个文件的上限），未载入任何内容。"
                                "请把表格拆分为每个不超过 {limit} 行的文件（例如每年一个），一起上传：它们会合并为一个"
                                "数据集。管理员可以调高上限（{env}）。",
                                "Sheet “{sheet}” of {file} has more than {limit} rows, the limit for one file; "
                                "nothing was loaded. Split the table into files of at most {limit} rows (for "
                                "example one per year) and upload them together: they are stacked into one "
                                "dataset. An administrator can raise the limit ({env})."),
    "err.too_many_cells": ("文件 {file} 会成为 {rows} 行 × {columns} 列 = {cells} 个单元格的表，超过单个文件 {limit} "
                           "个单元格的上限，未载入任何内容。请去掉不需要的列，或拆分为行数更少的文件一起上传。"
                           "管理员可以调高上限（{env}）。",
                           "{file} would be a table of {rows} rows × {columns} columns = {cells} cells, over "
                           "the limit of {limit} cells for one file; nothing was loaded. Leave out columns you "
                           "do not need, or split it into files of fewer rows and upload them together. An "
                           "administrator can raise the limit ({env})."),
    "err.sheet_too_many_cells": ("文件 {file} 的工作表“{sheet}”一直延伸到单元格 {cell}：表格会有 {rows} 行 × {columns} 列"
                                 " = {cells} 个单元格，超过单个文件 {limit} 个单元格的上限，未载入任何内容。请删除表格"
                                 "以外的内容（远在右侧或下方的一个零散值会让其间所有的行和列都计算在内），或把表格拆分为"
                                 "行数更少的文件一起上传。管理员可以调高上限（{env}）。",
                                 "Sheet “{sheet}” of {file} reaches cell {cell}: its table would be {rows} rows "
                                 "× {columns} columns = {cells} cells, over the limit of {limit} cells for one "
                                 "file; nothing was loaded. Delete what lies outside the table (a stray value far "
                                 "to the right or far below makes every row and column up to it count), or split "
                                 "the table into files of fewer rows and upload them together. An administrator "
                                 "can raise the limit ({env})."),
    "err.too_many_strings": ("文件 {file} 含有超过 {limit} 个不同的文本（共享字符串）：多于其工作表中能用到它们的单元格，"
                             "或多于单个文件可有的单元格数，未读取。请在 Excel 中打开并另存为 CSV，或拆分为更小的文件"
                             "一起上传。管理员可以调高单元格上限（{env}）。",
                             "{file} holds more than {limit} different texts (shared strings): more than its "
                             "sheets have cells to use them, or than the cells one file may have. It was not "
                             "read. Open it in Excel and save the table as CSV, or split it into smaller files "
                             "and upload them together. An administrator can raise the cell limit ({env})."),
    "err.too_much_decompressed": ("文件 {file} 解压后超过 {limit_mb} MB（{part}：{size_mb} MB），超过单个文件的上限，"
                                  "未载入任何内容。请另存为 CSV，或拆分为更小的文件一起上传。管理员可以调高上限（{env}）。",
                                  "{file} unpacks to more than {limit_mb} MB ({part}: {size_mb} MB), the limit "
                                  "for one file; nothing was loaded. Save the table as CSV, or split it into "
                                  "smaller files and upload them together. An administrator can raise the "
                                  "limit ({env})."),
    "note.hidden_sheet_skipped": ("文件 {file} 的隐藏工作表 {hidden} 已跳过：读取的是第一个可见的工作表“{sheet}”。"
                                  "如需读取隐藏的工作表，请在工作表选择中选它。",
                                  "Hidden sheet(s) {hidden} of {file} skipped: read “{sheet}”, the first visible "
                                  "sheet. To read a hidden sheet, choose it in the sheet picker."),
    # features files and datasets (valuation/data/sources.py)
    "err.features_missing_columns": ("{path} 缺少特征列 {columns}，不能作为特征数据集使用。请用当前版本的 "
                                     "python -m valuation features … --out 文件.parquet 重新生成。",
                                     "{path} lacks the feature column(s) {columns}, so it cannot be used as a "
                                     "features dataset. Write it again with this version: python -m valuation "
                                     "features … --out FILE.parquet"),
    "err.features_corrupt": ("{path} 的特征元数据已损坏（{detail}）。请用 python -m valuation features … "
                             "--out 文件.parquet 重新生成。",
                             "The features metadata of {path} is damaged ({detail}). Write the file again: "
                             "python -m valuation features … --out FILE.parquet"),
    "err.features_dataset_corrupt": ("数据集 “{name}” 的特征记录已损坏（{detail}），无法评分。请删除该数据集，"
                                     "再重新上传或挂载特征文件。",
                                     "The features record of dataset “{name}” is damaged ({detail}), so it "
                                     "cannot be scored. Delete the dataset, then upload or attach the features "
                                     "file again."),
}
