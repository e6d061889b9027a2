"""Demo data and the loopback HTTPS emulators of the panels: fixtures, not domain.

`procmod.demo.seed` fills a database with the tour's realistic data, `procmod.demo.large` with the benchmark's
scales, `procmod.demo.env` starts the emulators the demo's modules talk to. The domain (`procmod.core`) and
storage never import this package (an import-linter contract holds it).
"""
