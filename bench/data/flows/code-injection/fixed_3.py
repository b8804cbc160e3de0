# expect: none
# safe: the unit picks a function from a fixed dict instead of being evaluated as code
from fastapi import FastAPI, HTTPException

app = FastAPI()


def to_celsius(value):
    return (value - 32) * 5 / 9


def to_fahrenheit(value):
    return value * 9 / 5 + 32


CONVERTERS = {"celsius": to_celsius, "fahrenheit": to_fahrenheit}


@app.get("/convert")
def convert(unit: str, value: float):
    func = CONVERTERS.get(unit)
    if func is None:
        raise HTTPException(status_code=400, detail="unknown unit")
    return {"result": func(value)}
