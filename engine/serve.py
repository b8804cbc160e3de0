"""Serve a model over llama.cpp's OpenAI-compatible HTTP server, for a team.

This runs llama-cpp-python's own server application (its ``[server]`` extra),
built the way ``python -m llama_cpp.server`` builds it, with one difference:
the model is loaded with llama.cpp's extra buffer types turned off, because the
AMX buffer type crashes on the first decode on CPUs that have AMX
(llama.cpp #20824). Point secgen at it with ``--model http://HOST:PORT``.
"""

from __future__ import annotations

from pathlib import Path

from secgen.engine.backend import BackendError
from secgen.engine.llama import model_params_without_extra_bufts


def serve(model_path: Path, *, host: str = "127.0.0.1", port: int = 8000, n_ctx: int = 4096,
          n_threads: int | None = None, extra_buffer_types: bool = False) -> None:
    import os

    try:
        import uvicorn
        from llama_cpp.server.app import create_app
        from llama_cpp.server.settings import ModelSettings, ServerSettings
    except ImportError as exc:
        raise BackendError(f"the model server needs llama-cpp-python's server extra ({exc}); "
                           "run `pip install 'llama-cpp-python[server]'`") from None
    model = ModelSettings(model=str(model_path), n_ctx=n_ctx, verbose=False,
                          n_threads=n_threads or os.cpu_count() or 1)
    try:
        with model_params_without_extra_bufts(extra_buffer_types):
            app = create_app(server_settings=ServerSettings(host=host, port=port), model_settings=[model])
    except (ValueError, RuntimeError, OSError) as exc:
        raise BackendError(f"cannot load model {model_path}: {exc}; if the file is damaged, replace it "
                           "(or `secgen model pull --force` for a catalog model)") from None
    uvicorn.run(app, host=host, port=port, log_level="warning")
