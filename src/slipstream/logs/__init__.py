"""Task-try logs as files: where each try's log lives (`layout`) and reading it back as lines
and structured messages (`reader`).

The supervisor writes these files; the API server (and later the UI) reads them. This package
sits low, beside `config`: it imports only the standard library, so every layer may use it.
"""
