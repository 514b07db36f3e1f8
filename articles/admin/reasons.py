"""The import ledger's reasons, in Chinese.

The pipeline records its reasons in English (they also go to the logs, where operators read
them); editors read the ledger in Chinese. Each known reason is matched by pattern and retold;
the recorded text, technical detail included, stays beneath it in small type. A reason this
table does not know is shown as recorded.
"""

import re

from django.utils.html import format_html

REASONS = [
    (r"file is empty", "文件为空"),
    (r"not valid (?P<encoding>\S+) text despite its byte-order mark",
     "文件开头有 {encoding} 字节序标记，内容却不是有效的 {encoding} 文本"),
    (r"binary file \(contains NUL bytes\), not a news text", "二进制文件（含空字节），不是新闻文本"),
    (r"undecodable text: neither UTF-8 nor GB18030 \(bad byte at offset (?P<offset>\d+)\)",
     "无法识别编码：既不是 UTF-8 也不是 GB18030（第 {offset} 字节出错）"),
    (r"undecodable text: not UTF-8, and not plausible GB18030/GBK either",
     "无法识别编码：不是 UTF-8，按 GB18030/GBK 解码也不像中文"),
    (r"front matter is not closed by '---' \(truncated file\?\)",
     "头信息缺少结尾的“---”（文件可能不完整）"),
    (r"front matter is not valid YAML(?: at line (?P<line>\d+))?: (?P<detail>.*); its fields were read line by line",
     "头信息不是有效的 YAML（标题里可能有未转义的引号），已逐行读出各字段"),
    (r"front matter is not valid YAML at line (?P<line>\d+): (?P<detail>.*)",
     "头信息第 {line} 行不是有效的 YAML"),
    (r"front matter is not valid YAML: (?P<detail>.*)", "头信息不是有效的 YAML"),
    (r"front matter is not a mapping of fields", "头信息不是“字段: 值”的格式"),
    (r"no story text found \(only the host site's footer\?\)", "没有正文（可能只有网站页脚）"),
    (r"bare HTML without front matter is not a known news format",
     "没有头信息的 HTML，不是已知的新闻格式"),
    (r"no title and no story text", "既没有标题也没有正文"),
    (r"file is too large \((?P<size>[\d,]+) bytes; the limit is (?P<limit>[\d,]+)\)",
     "文件过大（{size} 字节，上限 {limit} 字节）"),
    (r"file is too large \(more than (?P<limit>[\d,]+) bytes\)", "文件过大（超过 {limit} 字节的上限）"),
    (r"file disappeared while importing", "导入时文件已被删除或改名"),
    (r"symlink loop", "符号链接形成循环"),
    (r"symlink cannot be followed: (?P<detail>.*)", "无法跟随符号链接：{detail}"),
    (r"symlink to (?P<target>.*), outside the import roots .*",
     "符号链接指向导入目录之外（{target}）；如需允许，请把其目录加入 NEWSROOM_IMPORT_ROOTS"),
    (r"leads to (?P<target>.*), outside the import roots", "文件实际位于导入目录之外（{target}）"),
    (r"not a regular file \(a FIFO\)", "不是普通文件（是命名管道）"),
    (r"not a regular file \(a character device\)", "不是普通文件（是字符设备）"),
    (r"not a regular file \(a block device\)", "不是普通文件（是块设备）"),
    (r"not a regular file \(a socket\)", "不是普通文件（是套接字）"),
    (r"not a regular file \((?P<kind>.*)\)", "不是普通文件（{kind}）"),
    (r"a hard link \((?P<count>\d+) names for one file\): its other names may lie outside the import roots",
     "这是硬链接（同一文件有 {count} 个名字），其他名字可能在导入目录之外，不读取"),
    (r"cannot inspect: (?P<detail>.*)", "无法查看文件信息：{detail}"),
    (r"cannot open the file: (?P<detail>.*)", "无法打开文件：{detail}"),
    (r"front matter uses YAML aliases \(\*name\), which a news header never needs",
     "头信息使用了 YAML 别名（*引用），新闻头信息不需要这种写法，按可疑文件拒绝"),
    (r"front matter is too large \((?P<size>[\d,]+) bytes; the limit is (?P<limit>[\d,]+)\)",
     "头信息过大（{size} 字节，上限 {limit} 字节）"),
    (r"front matter nests more than (?P<depth>\d+) levels deep", "头信息嵌套超过 {depth} 层"),
    (r"path is longer than (?P<limit>[\d,]+) characters", "路径超过 {limit} 个字符"),
    (r"the parser process died on this file \(out of memory\?\)", "解析此文件时解析进程崩溃（可能内存不足）"),
    (r"parsing took longer than (?P<seconds>\d+) s", "解析超过 {seconds} 秒，已放弃"),
    (r"file not found \(a broken symlink, or removed while importing\)",
     "找不到文件（符号链接失效，或导入时被删除）"),
    (r"permission denied reading the file", "没有读取该文件的权限"),
    (r"is a directory, not a file", "这是目录，不是文件"),
    (r"cannot read the file: (?P<detail>.*)", "无法读取文件"),
    (r"broken symlink \(target missing\)", "符号链接失效（目标不存在）"),
    (r"no such file or directory", "文件或目录不存在"),
    (r"cannot list directory: (?P<detail>.*)", "无法列出目录"),
    (r"unexpected parser error: (?P<detail>.*)", "解析程序意外出错，请转告技术人员"),
    (r"database rejected the article(?:: (?P<detail>.*))?", "数据库拒绝写入"),
    (r"same text as article #(?P<pk>\d+); kept once", "与稿件 #{pk} 正文相同，只保留一篇"),
    (r"deleted by an editor; not re-imported", "编辑已删除此稿，不再导入"),
    (r"rejected by an editor; not updated", "编辑已拒绝此稿，不再更新"),
    (r"in the trash; not updated", "此稿在回收站中，不再更新"),
    (r"an older copy of a newer file", "这是一个较新文件的旧副本，未采用"),
    (r"dropped the text inside <(?P<tag>\w+)> \((?P<count>[\d,]+) characters\)",
     "删去了 <{tag}> 内的文字（{count} 个字）"),
    (r"left out (?P<count>\d+) picture\(s\) without a web address \(relative or inline\)",
     "删去了 {count} 张没有网址的图片（站内相对地址或内嵌图片）"),
    (r"the post has no story text \(front matter only, or only debris\)",
     "稿件没有正文（只有头信息，或只剩抓取残留）"),
    (r"markup nested more than (?P<limit>\d+) levels deep was flattened", "标记嵌套超过 {limit} 层，已展平"),
    (r"unreadable date (?P<raw>.*)", "日期无法识别：{raw}"),
    (r"no believable date in the story: the file's modification time is used",
     "稿件中没有可信的日期，暂用文件的修改时间（待编辑核实）"),
    (r"date (?P<label>.*) is in the future", "日期 {label} 在未来，未采用"),
    (r"date (?P<label>.*) is before 1990", "日期 {label} 早于 1990 年，未采用"),
    (r"a page of the site \(layout: (?P<layout>.*)\), not a news post",
     "这是网站页面（layout: {layout}），不是新闻稿件"),
    (r"feed (?P<key>\S+) is ignored \(NEWSROOM_IGNORED_FEEDS\)",
     "来源 {key} 已设为忽略（NEWSROOM_IGNORED_FEEDS），不导入"),
]
COMPILED = [(re.compile(pattern, re.S), text) for pattern, text in REASONS]


def explain(error: str) -> str:
    """Return the Chinese wording of a recorded import reason (the reason itself if unknown);
    notes recorded a line each are retold a line each."""
    error = (error or "").strip()
    if "\n" in error:
        return "；".join(explain(line) for line in error.splitlines() if line.strip())
    for pattern, text in COMPILED:
        match = pattern.fullmatch(error)
        if match:
            return text.format(**match.groupdict())
    return error


CONFLICT = "来源文件改了编辑改过的字段，等编辑在稿件页决定采用哪个版本"


def reason_html(error: str, *, outcome: str = "", limit: int | None = None):
    """The Chinese reason, with the recorded text beneath it in small type; "—" when none."""
    error = (error or "").strip()
    if not error:
        return CONFLICT if outcome == "conflict" else "—"
    chinese = explain(error)
    if limit and len(chinese) > limit:
        chinese = chinese[:limit] + "…"
    if chinese == error:
        return chinese
    recorded = error if not limit or len(error) <= limit else error[:limit] + "…"
    return format_html('{}<br><small class="nr-recorded" lang="en">{}</small>', chinese, recorded)
