"""The domain: services the console calls, rules, module types (drivers) and, later, the scheduler.

Never imports Textual or the console (`tui`); enforced by import-linter in the test run.
"""
