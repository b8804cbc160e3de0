# expect: none
# safe: NamedTemporaryFile picks an unpredictable name created with 0o600
import json
import tempfile


def save_session_state(state):
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="session_", delete=False) as f:
        json.dump(state, f)
    return f.name


if __name__ == "__main__":
    print(save_session_state({"user": "demo", "step": 3}))
