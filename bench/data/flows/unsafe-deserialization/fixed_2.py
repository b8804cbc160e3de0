# expect: none
# safe: yaml.safe_load builds only plain YAML types, no Python objects
import yaml


def load_config(text):
    """Parse the YAML configuration in `text`."""
    config = yaml.safe_load(text)
    config.setdefault("workers", 4)
    return config
