import json
from pathlib import Path

import jsonschema

from secgen.analyzers import Severity
from secgen.server.settings import Settings, json_schema, parse_settings

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "server" / "settings.schema.json"


def test_defaults_and_camel_case_values():
    settings, problems = parse_settings({"tMax": 1, "maxTokens": 64, "analyzers": ["syntax"], "model": "fake:x.json",
                                         "policy": {"blockAt": "high"}, "residualSuggestions": "hide", "threads": None})
    assert problems == []
    assert settings.t_max == 1 and settings.max_tokens == 64 and settings.analyzers == ("syntax",)
    assert settings.model == "fake:x.json" and settings.policy.block_at == Severity.HIGH
    assert settings.residual_suggestions == "hide" and settings.debounce_ms == 300


def test_invalid_values_fall_back_to_defaults_with_one_message_each():
    settings, problems = parse_settings({"tMax": "three", "debounceMs": -5, "residualSuggestions": "maybe",
                                         "policy": {"blockAt": "severe"}, "colour": "red", "maxTokens": True})
    assert settings == Settings()
    assert len(problems) == 6
    text = "\n".join(problems)
    assert "tMax" in text and "must be an integer" in text
    assert "debounceMs" in text and "between 0 and 10000" in text
    assert "residualSuggestions" in text and "hide, warn" in text
    assert "unknown severity 'severe'" in text and "unknown secgen setting 'colour'" in text


def test_merge_over_base_and_whole_configuration_object():
    base, _ = parse_settings({"tMax": 1})
    settings, problems = parse_settings({"secgen": {"maxTokens": 32}}, base)
    assert problems == [] and settings.t_max == 1 and settings.max_tokens == 32
    assert parse_settings("nonsense")[1] == ["secgen settings must be an object, not str; using defaults"]
    assert parse_settings(None) == (Settings(), [])


def test_schema_file_is_current_and_validates_defaults():
    schema = json_schema()
    assert json.loads(SCHEMA_FILE.read_text()) == schema, "regenerate: python -m secgen.server.settings > server/settings.schema.json"
    jsonschema.Draft7Validator.check_schema(schema)
    defaults = {k: v["default"] for k, v in schema["properties"].items()}
    jsonschema.validate(defaults, schema)
    assert parse_settings(defaults) == (Settings(), [])


def test_external_analyzer_settings():
    settings, problems = parse_settings({"sarifAnalyzers": {"a": "tool --sarif {file}", "b": {"command": "x {file}", "timeoutS": 5}},
                                         "svace": {"svace": "/opt/svace/bin/svace", "results": "native", "svacerFlags": ["--host", "h"]}})
    assert problems == []
    assert settings.sarif_analyzers == {"a": {"command": "tool --sarif {file}", "timeout_s": 60.0},
                                        "b": {"command": "x {file}", "timeout_s": 5.0}}
    assert settings.svace == {"svace": "/opt/svace/bin/svace", "results": "native", "svacer_flags": ("--host", "h")}
    bad, problems = parse_settings({"sarifAnalyzers": {"a": {"timeoutS": 5}}, "svace": {"colour": 1}})
    assert bad == Settings() and len(problems) == 2
    assert "a: needs a command" in problems[0] and "unknown key(s) colour" in problems[1]


def test_icd_settings_reach_the_analyzers():
    from secgen.analyzers.icd import IcdSemgrepAnalyzer, IcdSettings
    settings, problems = parse_settings({"icd": {"semgrep": "/opt/semgrep", "semgrepLanguages": ["c", "java"], "timeoutS": 9}})
    assert problems == []
    assert settings.icd == {"semgrep": "/opt/semgrep", "semgrep_languages": ("c", "java"), "timeout_s": 9.0}
    analyzer = IcdSemgrepAnalyzer(IcdSettings(**settings.icd))
    assert analyzer.languages == {"c", "java"}
    assert "semgrep not found at /opt/semgrep" in analyzer.available()
    for bad, reason in [({"semgrepLanguages": ["cobol"]}, "unknown cobol"), ({"timeoutS": 0}, "positive"),
                        ({"rules": ""}, "non-empty"), ({"semgrepLanguages": "python"}, "list of strings"),
                        ({"colour": 1}, "unknown key(s) colour")]:
        kept, problems = parse_settings({"icd": bad})
        assert kept.icd == {} and len(problems) == 1 and reason in problems[0], (bad, problems)
