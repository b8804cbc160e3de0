# expect: none
# safe: the host is a constant and the city is URL-encoded as a query value
import urllib.parse
import urllib.request

from fastapi import FastAPI

app = FastAPI()
WEATHER_API = "https://api.weather.example.com/v1/current"


@app.get("/weather")
def weather(city: str):
    url = WEATHER_API + "?" + urllib.parse.urlencode({"city": city})
    with urllib.request.urlopen(url, timeout=5) as resp:
        return {"data": resp.read().decode()}
