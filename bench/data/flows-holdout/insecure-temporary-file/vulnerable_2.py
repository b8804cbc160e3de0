# expect: insecure-temporary-file line 6
import json


def save_session_state(state):
    with open("/tmp/session_state.json", "w") as f:
        json.dump(state, f)


if __name__ == "__main__":
    save_session_state({"user": "demo", "step": 3})
