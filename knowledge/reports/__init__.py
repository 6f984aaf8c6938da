"""Organisers' reports from anonymous records: unmet demand and use of the service (issue #17).

`recording` writes the rows (called by the actions and the reminder worker); `demand` and `usage`
read them into report objects with no count under k; `render` turns a report into Markdown, CSV
or one HTML file, with `charts` (matplotlib, imported only when a chart is drawn).
"""
