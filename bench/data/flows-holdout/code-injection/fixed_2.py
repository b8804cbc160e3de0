# expect: none
# safe: setattr on an allow-listed name with ast.literal_eval instead of exec
import ast


class Settings:
    timeout = 30
    retries = 3
    verbose = False


ALLOWED_SETTINGS = {"timeout", "retries", "verbose"}


def apply_setting(settings, name, value):
    if name not in ALLOWED_SETTINGS:
        raise ValueError(f"unknown setting: {name}")
    setattr(settings, name, ast.literal_eval(value))
    return settings


if __name__ == "__main__":
    s = Settings()
    line = input("setting=value: ")
    key, val = line.split("=", 1)
    apply_setting(s, key.strip(), val.strip())
    print(s.timeout, s.retries, s.verbose)
