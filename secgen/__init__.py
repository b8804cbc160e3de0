"""secgen: a local, security-aware AI coding assistant.

The distribution's subpackages live in the repository's top-level folders
(``analyzers/`` is ``secgen.analyzers``, and so on); see docs/architecture.md.
"""

__version__ = "0.1.0"
