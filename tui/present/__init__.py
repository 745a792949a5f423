"""What the command line and the Textual app share: request builders and validators
(the user's text -> checked request objects, one per user action, with one set of
defaults and messages) and renderers (results -> plain text or rich renderables).

Imports neither Textual nor Typer (checked by import-linter), so both front ends can use it.
"""
