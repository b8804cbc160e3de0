# expect: code-injection line 17
from fastapi import FastAPI

app = FastAPI()


def to_celsius(value):
    return (value - 32) * 5 / 9


def to_fahrenheit(value):
    return value * 9 / 5 + 32


@app.get("/convert")
def convert(unit: str, value: float):
    func = eval(f"to_{unit}")
    return {"result": func(value)}
