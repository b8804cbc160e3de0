# expect: none
# safe: host="127.0.0.1": reachable from this machine only (put a reverse proxy in front)
import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    return {"ok": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=8000)
