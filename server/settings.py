"""The language server's settings: one typed tree, camelCase on the wire.

Settings arrive in ``initializationOptions`` and from ``workspace/configuration``
(section ``secgen``). :func:`parse_settings` never raises: each invalid value
is reported as one message, naming the key, and ignored: the setting keeps the
value it had (its default, unless an earlier source set it), so a typo in an
editor's settings degrades one feature instead of refusing to start.
``settings.schema.json`` beside this module is generated from :data:`FIELDS`
(``python -m secgen.server.settings > server/settings.schema.json``) and a test
keeps the two in step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from secgen.analyzers import SeverityPolicy
from secgen.analyzers.languages import LANGUAGES
from secgen.engine.config import EDITOR, LoopConfig

RESIDUAL_POLICIES = ("hide", "warn")


@dataclass(frozen=True, kw_only=True)
class Settings:
    model: str | None = None  # a model spec; None: the catalog default
    context_size: int = 4096
    threads: int | None = None
    max_tokens: int = EDITOR.max_tokens  # the loop's settings: their defaults are the engine's EDITOR preset
    t_max: int = EDITOR.t_max
    time_budget_s: float = EDITOR.time_budget_s
    analyzers: tuple[str, ...] = EDITOR.analyzers
    policy: SeverityPolicy = EDITOR.policy
    debounce_ms: int = 300
    residual_suggestions: str = "warn"  # "hide": drop suggestions with blocking findings; "warn": offer them
    sarif_analyzers: Mapping[str, dict] = field(default_factory=dict)  # name -> {"command", "timeoutS"}
    svace: Mapping[str, Any] = field(default_factory=dict)  # SvaceSettings fields, snake_case
    icd: Mapping[str, Any] = field(default_factory=dict)  # IcdSettings fields, snake_case
    collect_pairs: bool = False  # keep preference pairs of accepted, repaired suggestions (server/collect.py)
    collect_pairs_path: str | None = None  # where; None: the user data folder's pairs/editor-pairs.jsonl


DEFAULTS = Settings()


def loop_config(settings: Settings) -> LoopConfig:
    """The loop a suggestion runs: the engine's EDITOR preset with the user's settings over it."""
    return replace(EDITOR, t_max=settings.t_max, time_budget_s=settings.time_budget_s, analyzers=settings.analyzers,
                   policy=settings.policy, params=replace(EDITOR.params, max_tokens=settings.max_tokens))


# object-valued settings: wire key -> (attribute, kind); kind is "str", "strs", "seconds",
# ("one", choices) or ("many", choices)
SVACE_KEYS = {"svace": ("svace", "str"), "svacer": ("svacer", "str"), "results": ("results", ("one", ("sarif", "native"))),
              "svacerFlags": ("svacer_flags", "strs"), "analyzeTimeoutS": ("analyze_timeout_s", "seconds"),
              "buildTimeoutS": ("build_timeout_s", "seconds")}
ICD_KEYS = {"rules": ("rules", "str"), "semgrep": ("semgrep", "str"),
            "semgrepLanguages": ("semgrep_languages", ("many", LANGUAGES)), "timeoutS": ("timeout_s", "seconds")}


def _options_schema(keys: Mapping[str, tuple[str, Any]]) -> dict:
    """The JSON schema of an options object, from its key map (one description of each key)."""
    def schema(kind):
        if kind == "str":
            return {"type": "string"}
        if kind == "strs":
            return {"type": "array", "items": {"type": "string"}}
        if kind == "seconds":
            return {"type": "number"}
        many, choices = kind[0] == "many", {"enum": list(kind[1])}
        return {"type": "array", "items": choices} if many else choices
    return {"type": "object", "additionalProperties": False,
            "properties": {wire: schema(kind) for wire, (_, kind) in keys.items()}}


# wire name -> (attribute, JSON schema, description)
FIELDS: dict[str, tuple[str, dict, str]] = {
    "model": ("model", {"type": ["string", "null"]},
              "Model spec: a catalog name (0.5b, 1.5b), a .gguf path, hf:OWNER/REPO/FILE, a Hugging Face model "
              "folder (config.json inside; needs the [train] extra), an http(s):// OpenAI-compatible server, or "
              "fake:SCRIPT.json. Null: the catalog default."),
    "contextSize": ("context_size", {"type": "integer", "minimum": 512, "maximum": 131072},
                    "Context window in tokens for the in-process backends (llama.cpp, transformers)."),
    "threads": ("threads", {"type": ["integer", "null"], "minimum": 1},
                "CPU threads for the in-process backends; null: all cores (llama.cpp) or torch's default."),
    "maxTokens": ("max_tokens", {"type": "integer", "minimum": 1, "maximum": 4096},
                  "Tokens generated per attempt."),
    "tMax": ("t_max", {"type": "integer", "minimum": 0, "maximum": 10},
             "Repair rounds after the first attempt (the paper's t_max)."),
    "timeBudgetS": ("time_budget_s", {"type": "number", "minimum": 0},
                    "Seconds after which no new repair round starts."),
    "analyzers": ("analyzers", {"type": "array", "items": {"type": "string"}},
                  "Analyzers to run (syntax, pyflakes, bandit, dataflow, ...)."),
    "policy": ("policy", {"type": "object", "additionalProperties": False, "properties": {
                   "blockAt": {"enum": ["info", "low", "medium", "high", "error"]},
                   "minConfidence": {"enum": ["low", "medium", "high"]},
                   "alwaysBlock": {"type": "array", "items": {"type": "string"}},
                   "neverBlock": {"type": "array", "items": {"type": "string"}}}},
               "Which findings block a suggestion."),
    "debounceMs": ("debounce_ms", {"type": "integer", "minimum": 0, "maximum": 10000},
                   "Delay after the last edit before the document is analyzed."),
    "residualSuggestions": ("residual_suggestions", {"enum": list(RESIDUAL_POLICIES)},
                            "What to do with a suggestion the loop could not make clean: hide it, or offer it "
                            "with its findings (warn)."),
    "sarifAnalyzers": ("sarif_analyzers", {"type": "object", "additionalProperties": {"anyOf": [
                           {"type": "string"},
                           {"type": "object", "additionalProperties": False, "required": ["command"],
                            "properties": {"command": {"type": "string"}, "timeoutS": {"type": "number"}}}]}},
                       "Extra analyzers: name -> a command writing SARIF 2.1.0, with {file}, {dir} and {output} "
                       "placeholders (or {command, timeoutS}). They run on save; add the name to analyzers."),
    "svace": ("svace", _options_schema(SVACE_KEYS),
              "The Svace adapter: paths of svace and svacer, where results come from, Svacer's flags, "
              "timeouts. Add \"svace\" to analyzers to run it (on save)."),
    "icd": ("icd", _options_schema(ICD_KEYS),
            "Meta's Insecure Code Detector (icd-regex, icd-semgrep): its rules folder (default: the installed "
            "codeshield's), the semgrep executable, the languages the Semgrep half runs on, and its timeout. "
            "Add \"icd-regex\" or \"icd-semgrep\" to analyzers to run them (icd-semgrep on save)."),
    "collectPairs": ("collect_pairs", {"type": "boolean"},
                     "Keep a preference pair (flawed attempt, repaired code) on this machine when you accept a "
                     "suggestion or generated code that the repair loop made clean; training can learn from them. "
                     "Off by default; nothing is sent anywhere."),
    "collectPairsPath": ("collect_pairs_path", {"type": ["string", "null"]},
                         "Where collected pairs go (JSON Lines, appended; an absolute path, ~ allowed). Null: "
                         "pairs/editor-pairs.jsonl in the user data folder (~/.local/share/secgen on Linux)."),
}
def _check(wire: str, value: Any) -> Any:
    """The attribute value for a wire value, or ValueError with the reason."""
    schema = FIELDS[wire][1]
    if wire == "policy":
        if not isinstance(value, dict):
            raise ValueError("must be an object")
        return SeverityPolicy.from_dict(value)
    if wire == "sarifAnalyzers":
        return _sarif_analyzers(value)
    if wire == "svace":
        return _options(value, SVACE_KEYS)
    if wire == "icd":
        return _options(value, ICD_KEYS)
    if wire == "collectPairsPath" and isinstance(value, str) and value.strip():
        if not Path(value.strip()).expanduser().is_absolute():
            raise ValueError("must be an absolute path (~ allowed) or null")
        return value.strip()
    if wire == "analyzers":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError("must be a list of analyzer names")
        return tuple(value)
    if "enum" in schema:
        if value not in schema["enum"]:
            raise ValueError(f"must be one of {', '.join(map(str, schema['enum']))}")
        return value
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if kinds == ["boolean"]:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if value is None and "null" in kinds:
        return None
    if "string" in kinds and isinstance(value, str):
        return value.strip() or None
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if "integer" in kinds and not (is_number and float(value).is_integer()):
        raise ValueError("must be an integer")
    if "number" in kinds and not is_number:
        raise ValueError("must be a number")
    if not is_number or not {"integer", "number"} & set(kinds):
        raise ValueError(f"must be {' or '.join(kinds)}")
    low, high = schema.get("minimum"), schema.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"must be between {low} and {high}" if high is not None else f"must be at least {low}")
    return int(value) if "integer" in kinds else float(value)


def _sarif_analyzers(value: Any) -> dict[str, dict]:
    if not isinstance(value, dict):
        raise ValueError("must be an object: name -> command")
    parsed = {}
    for name, spec in value.items():
        spec = {"command": spec} if isinstance(spec, str) else spec
        if not (isinstance(spec, dict) and isinstance(spec.get("command"), str) and spec["command"].strip()):
            raise ValueError(f"{name}: needs a command")
        timeout = spec.get("timeoutS", 60.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"{name}: timeoutS must be a positive number")
        parsed[name] = {"command": spec["command"], "timeout_s": float(timeout)}
    return parsed


def _options(value: Any, keys: Mapping[str, tuple[str, Any]]) -> dict[str, Any]:
    """An options object (Svace's, ICD's) as keyword arguments of its settings class."""
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    unknown = set(value) - set(keys)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    parsed = {}
    for wire, item in value.items():
        attr, kind = keys[wire]
        choices = kind[1] if isinstance(kind, tuple) else ()
        if kind == "strs" or kind[0] == "many":
            if not isinstance(item, list) or not all(isinstance(v, str) for v in item):
                raise ValueError(f"{wire} must be a list of strings")
            if choices and set(item) - set(choices):
                raise ValueError(f"{wire}: unknown {', '.join(sorted(set(item) - set(choices)))}")
            item = tuple(item)
        elif kind == "seconds":
            if isinstance(item, bool) or not isinstance(item, (int, float)) or item <= 0:
                raise ValueError(f"{wire} must be a positive number")
            item = float(item)
        elif choices:
            if item not in choices:
                raise ValueError(f"{wire} must be one of {', '.join(choices)}")
        elif not isinstance(item, str) or not item.strip():
            raise ValueError(f"{wire} must be a non-empty string")
        parsed[attr] = item
    return parsed


def parse_settings(data: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from a wire object over ``base``; the messages name each value that was ignored."""
    base = base or Settings()
    if data is None:
        return base, []
    if not isinstance(data, dict):
        return base, [f"secgen settings must be an object, not {type(data).__name__}; using defaults"]
    if isinstance(data.get("secgen"), dict):  # a whole configuration object rather than its section
        data = data["secgen"]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for wire, value in data.items():
        if wire not in FIELDS:
            problems.append(f"unknown secgen setting {wire!r} ignored")
            continue
        try:
            values[FIELDS[wire][0]] = _check(wire, value)
        except ValueError as exc:
            attr = FIELDS[wire][0]
            kept = "using the default" if getattr(base, attr) == getattr(DEFAULTS, attr) else "keeping the current value"
            problems.append(f"secgen setting {wire} = {json.dumps(value)[:80]} is invalid ({exc}); {kept}")
    merged = {f.name: getattr(base, f.name) for f in fields(Settings)} | values
    return Settings(**merged), problems


def json_schema() -> dict:
    defaults = Settings()
    properties = {}
    for wire, (attr, schema, description) in FIELDS.items():
        default = getattr(defaults, attr)
        if isinstance(default, tuple):
            default = list(default)
        elif isinstance(default, Mapping):
            default = dict(default)
        elif isinstance(default, SeverityPolicy):
            default = {"blockAt": default.block_at.name.lower(), "minConfidence": default.min_confidence.name.lower(),
                       "alwaysBlock": [], "neverBlock": []}
        properties[wire] = {**schema, "description": description, "default": default}
    return {"$schema": "http://json-schema.org/draft-07/schema#", "title": "secgen language server settings",
            "type": "object", "additionalProperties": False, "properties": properties}


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2))
