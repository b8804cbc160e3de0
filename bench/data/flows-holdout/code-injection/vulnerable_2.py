# expect: code-injection line 9
class Settings:
    timeout = 30
    retries = 3
    verbose = False


def apply_setting(settings, name, value):
    exec(f"settings.{name} = {value}")
    return settings


if __name__ == "__main__":
    s = Settings()
    line = input("setting=value: ")
    key, val = line.split("=", 1)
    apply_setting(s, key.strip(), val.strip())
    print(s.timeout, s.retries, s.verbose)
