# expect: unsafe-deserialization line 7
import yaml


def load_config(text):
    """Parse the YAML configuration in `text`."""
    config = yaml.load(text, Loader=yaml.Loader)
    config.setdefault("workers", 4)
    return config
