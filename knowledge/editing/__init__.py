"""Provider members and organisers changing listings: fields, edits, review, history, freshness.

Every path (Telegram chat, the HTTP API, a spreadsheet upload, the CLI) goes through these
functions, so the same rules, permissions and history apply however a change arrives.
"""
