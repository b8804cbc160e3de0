"""The front doors: the ``secgen`` command line and the ``secgen-lsp`` language server.

The only package that will import lsprotocol; it calls into ``secgen.engine``.
"""
