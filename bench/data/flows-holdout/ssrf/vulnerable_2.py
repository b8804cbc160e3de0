# expect: ssrf line 11, 12
import urllib.request

from fastapi import FastAPI

app = FastAPI()


@app.get("/weather")
def weather(city: str, api_host: str = "api.weather.example.com"):
    url = "https://" + api_host + "/v1/current?city=" + city
    with urllib.request.urlopen(url, timeout=5) as resp:
        return {"data": resp.read().decode()}
